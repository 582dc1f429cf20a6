"""serverless.yml against the code it deploys: what would only break once on AWS.

The packaging itself (pip for arm64, ``serverless package``, cfn-lint, a cold start from the
bundle alone) is ``scripts/package.sh``: about three minutes of work and the network (npm,
PyPI), so not part of this suite; run it after changing serverless.yml or the dependencies.
What CloudFormation and IAM do with the template is read here from serverless.yml, with
their documented semantics (``resolve``, ``allowed``); nothing here talks to AWS.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot.lambda_handler
from tests.aws_api import AwsAPI
from tests.bedrock_server import BedrockServer
from tests.git_server import TOKEN as GIT_TOKEN
from tests.git_server import GitServer
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Slack
from tests.test_slack_git import HOOK_SECRET, github_headers, github_push
from tests.test_slack_lambda import Context, api_gateway_event

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS = ROOT / "serverless.yml"
ACCOUNT, REGION, STAGE = "123456789012", "us-east-1", "dev"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SERVERLESS.read_text())
    return data


NO_VALUE = object()  # CloudFormation's AWS::NoValue: the item or property disappears


def resolve(value: Any, config: dict[str, Any], params: dict[str, str] | None = None) -> Any:
    """serverless' and CloudFormation's substitutions, as they would come out for ``dev``,
    with ``params`` overriding ``params.default`` as ``--param`` would."""
    again = lambda v: resolve(v, config, params)  # noqa: E731
    if isinstance(value, dict):
        if "Fn::Sub" in value:
            return again(value["Fn::Sub"])
        if "Fn::If" in value:
            name, yes, no = value["Fn::If"]
            return again(yes if again(config["resources"]["Conditions"][name]) else no)
        if "Fn::Equals" in value:
            left, right = value["Fn::Equals"]
            return again(left) == again(right)
        if "Fn::Not" in value:
            return not again(value["Fn::Not"][0])
        if "Fn::Split" in value:
            separator, text = value["Fn::Split"]
            return again(text).split(separator)
        if value == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        resolved = {k: again(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        return [v for v in map(again, value) if v is not NO_VALUE]
    if not isinstance(value, str):
        return value
    values = {**config["params"]["default"], **(params or {})}
    known = {
        "self:service": config["service"],
        "sls:stage": STAGE,
        "self:provider.region": REGION,
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
    }
    for _ in range(3):  # params may refer to ${sls:stage} and friends
        value = re.sub(r"\$\{param:([A-Za-z]+)\}", lambda m: str(values[m.group(1)]), value)
        value = re.sub(r"\$\{([^}]+)\}", lambda m: known.get(m.group(1), m.group(0)), value)
    return value


def statements(config: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = resolve(config["provider"]["iam"]["role"]["statements"], config)
    return found


def allowed(
    config: dict[str, Any], action: str, resource: str, context: dict[str, str] | None = None
) -> bool:
    """IAM's answer for the role: some Allow statement matches action, resource and its
    conditions, given the request's condition keys in ``context``."""
    return any(
        s["Effect"] == "Allow"
        and action in s["Action"]
        and any(isinstance(r, str) and fnmatchcase(resource, r) for r in s["Resource"])
        and conditions_hold(s.get("Condition", {}), context or {})
        for s in statements(config)
    )


def conditions_hold(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            values = expected if isinstance(expected, list) else [expected]
            actual = context.get(key)
            if actual is None:  # IAM: a missing key fails String* conditions
                return False
            if operator == "StringLike":
                if not any(fnmatchcase(actual, v) for v in values):
                    return False
            elif operator == "StringEquals":
                if actual not in values:
                    return False
            else:
                raise AssertionError(f"the test does not model {operator}")
    return True


class TestDeploy:
    def test_handler_path_is_importable(self, config: dict[str, Any]) -> None:
        module, _, name = config["functions"]["slack"]["handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))

    def test_every_environment_variable_is_one_the_code_reads(self, config: dict[str, Any]) -> None:
        read = (ROOT / "bot" / "config.py").read_text() + (
            ROOT / "bot" / "slack_secret.py"
        ).read_text()
        names = list(config["provider"]["environment"])
        assert {"GENCODE_STORE", "OPENSEARCH_URL", "SLACK_SECRET_ARN"} <= set(names)
        for name in names:
            assert f'"{name}"' in read, f"serverless.yml sets {name}, which nothing reads"

    def test_no_variable_calls_aws_while_packaging(self, config: dict[str, Any]) -> None:
        text = json.dumps(config)  # comments may mention them
        assert "${ssm:" not in text and "${aws:" not in text and "${cf:" not in text

    def test_role_may_call_only_the_configured_bedrock_models_and_profiles(
        self, config: dict[str, Any]
    ) -> None:
        params = config["params"]["default"]
        chat, embed = params["chatModel"], params["embedModel"]
        assert chat.startswith("global.")  # a global inference profile
        model = chat.removeprefix("global.")  # the foundation model it routes to
        profile = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{chat}"
        through = {"bedrock:InferenceProfileArn": profile}
        for action in ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"):
            assert allowed(config, action, profile)
            # Routed by the global profile: the model in no region and in any region.
            assert allowed(config, action, f"arn:aws:bedrock:::foundation-model/{model}", through)
            assert allowed(
                config, action, f"arn:aws:bedrock:eu-north-1::foundation-model/{model}", through
            )
            assert allowed(config, action, f"arn:aws:bedrock:us-west-2::foundation-model/{embed}")
            # What was never configured: another profile, a model called directly, a model
            # reached through another profile, an application inference profile.
            other = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/global.other.model-9"
            assert not allowed(config, action, other)
            assert not allowed(
                config, action, f"arn:aws:bedrock:{REGION}::foundation-model/{model}"
            )
            assert not allowed(
                config,
                action,
                f"arn:aws:bedrock:{REGION}::foundation-model/other.model-9",
                {"bedrock:InferenceProfileArn": other},
            )
            assert not allowed(
                config,
                action,
                f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/x",
            )
        summary = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{params['summaryModel']}"
        assert allowed(config, "bedrock:InvokeModel", summary)

    def test_role_may_reinvoke_the_function_by_its_invoked_arn(
        self, config: dict[str, Any]
    ) -> None:
        function = resolve(config["functions"]["slack"]["name"], config)
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
        assert allowed(config, "lambda:InvokeFunction", arn)
        assert allowed(config, "lambda:InvokeFunction", f"{arn}:provisioned")  # an alias
        assert not allowed(config, "lambda:InvokeFunction", f"{arn}-other")

    def test_role_may_read_the_secret_and_the_opensearch_domain(
        self, config: dict[str, Any]
    ) -> None:
        name = resolve(config["params"]["default"]["slackSecretName"], config)
        secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        assert allowed(config, "secretsmanager:GetSecretValue", secret)
        domain = resolve(config["params"]["default"]["opensearchDomainName"], config)
        index = f"arn:aws:es:{REGION}:{ACCOUNT}:domain/{domain}/gencode-chunks/_search"
        assert allowed(config, "es:ESHttpPost", index) and allowed(config, "es:ESHttpPut", index)

    def test_created_domain_admits_the_function_and_the_named_operators(
        self, config: dict[str, Any]
    ) -> None:
        domain = config["resources"]["Resources"]["OpenSearchDomain"]["Properties"]

        def principals(admins: str) -> list[Any]:
            policy = resolve(
                domain["AccessPolicies"], config, {"opensearchAdminPrincipals": admins}
            )
            found = []
            for statement in policy["Statement"]:
                assert statement["Effect"] == "Allow" and statement["Action"] == "es:ESHttp*"
                assert statement["Resource"].endswith(":domain/gencode-dev/*")
                aws = statement["Principal"]["AWS"]
                found.extend(aws if isinstance(aws, list) else [aws])
            return found

        function = {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
        assert principals("") == [function]  # the default: the function only
        ops = f"arn:aws:iam::{ACCOUNT}:role/ops"
        alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
        assert principals(f"{ops},{alice}") == [function, ops, alice]
        assert domain["ClusterConfig"]["InstanceCount"] == 1  # hence auto_expand_replicas 0-1

    def test_the_created_secret_holds_no_value_a_stack_update_could_write_again(
        self, config: dict[str, Any]
    ) -> None:
        # CloudFormation sends a resource's template properties on every update of it: a
        # SecretString there (or GenerateSecretString) would become a new AWSCURRENT
        # version, replacing the tokens the operator put in. Created empty, it has none.
        secret = config["resources"]["Resources"]["SlackSecret"]
        assert not {"SecretString", "GenerateSecretString", "SecretBinary"} & set(
            secret["Properties"]
        )
        assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"
        assert "REPLACE_ME" not in json.dumps(config)

    def test_every_param_is_documented(self, config: dict[str, Any]) -> None:
        readme = (ROOT / "infra" / "README.md").read_text()
        for name in config["params"]["default"]:
            assert f"`{name}`" in readme, f"infra/README.md does not document {name}"

    def test_lazy_listeners_fit_and_never_run_twice(self, config: dict[str, Any]) -> None:
        function = config["functions"]["slack"]
        assert 30 < config["provider"]["timeout"] <= 900  # acks in 3 s, works for minutes
        # an archive's indexing stops early enough to post its report before the timeout
        budget = float(config["provider"]["environment"]["GENCODE_ARCHIVE_TIME_BUDGET"])
        assert 0 < budget <= config["provider"]["timeout"] - 60
        assert config["provider"]["memorySize"] <= 1024
        assert function["maximumRetryAttempts"] == 0  # a retried lazy listener answers twice
        routes = {
            (e["httpApi"]["method"], e["httpApi"]["path"])
            for e in function["events"]
            if "httpApi" in e
        }
        assert ("POST", "/slack/events") in routes

    def test_git_pushes_and_a_schedule_reach_the_function(self, config: dict[str, Any]) -> None:
        function = config["functions"]["slack"]
        routes = {(e["httpApi"]["method"], e["httpApi"]["path"]) for e in function["events"] if "httpApi" in e}  # fmt: skip
        assert ("POST", "/git/webhook") in routes
        (schedule,) = [e["schedule"] for e in function["events"] if "schedule" in e]
        assert resolve(schedule["rate"], config) == "rate(15 minutes)"
        assert schedule["input"] == {"gencode": "sync-all"}  # what bot.lambda_handler reads

    def test_package_script_builds_for_the_declared_runtime(self, config: dict[str, Any]) -> None:
        script = (ROOT / "scripts" / "package.sh").read_text()
        runtime = config["provider"]["runtime"]
        assert f"LAMBDA_PYTHON={runtime.removeprefix('python')}" in script
        assert f"ARCH=${{ARCH:-{config['provider']['architecture']}}}" in script
        assert config["package"]["artifact"] in script
        # The smoke test installs the versions vendored for Lambda, and checks that it did.
        assert "pins --site .build/site > .build/constraints.txt" in script
        assert "-c .build/constraints.txt" in script
        assert f"--deployed {config['package']['artifact']}" in script


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsAPI]:
    api = AwsAPI().start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_REGION": REGION,  # Lambda sets both
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": api.url,
        "AWS_ENDPOINT_URL_LAMBDA": api.url,
    }.items():
        monkeypatch.setenv(name, value)
    yield api
    api.stop()


class TestLambdaColdStart:
    def test_deployed_environment_cold_starts_with_the_secret_and_reinvokes_itself(
        self,
        config: dict[str, Any],
        aws: AwsAPI,
        slack_api: SlackAPI,
        opensearch_url: str,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gencode/dev/slack-AbCdEf"
        aws.secrets[secret_arn] = json.dumps(
            {"SLACK_BOT_TOKEN": slack_api.token, "SLACK_SIGNING_SECRET": SECRET}
        )
        for name, value in resolve(config["provider"]["environment"], config).items():
            if isinstance(value, str):
                monkeypatch.setenv(name, value)
        # The two CloudFormation Fn::If values, and what only the tests change:
        monkeypatch.setenv("OPENSEARCH_URL", opensearch_url)  # the real test node
        monkeypatch.setenv("SLACK_SECRET_ARN", secret_arn)
        monkeypatch.setenv("SLACK_API_URL", slack_api.api_url)
        monkeypatch.setenv("GENCODE_HOME", str(tmp_path / "home"))
        monkeypatch.setattr(bot.lambda_handler, "_handler", None)
        function = resolve(config["functions"]["slack"]["name"], config)
        context = Context(
            function_name=function,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}",
        )

        health = {"rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}}
        assert bot.lambda_handler.handler(health, context)["statusCode"] == 200
        assert [r.signed_for for r in aws.requests] == [(REGION, "secretsmanager")]
        assert slack_api.calls_to("auth.test")

        body = Slack("").event_body(
            {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hi"},
            event_id="EvDEPLOY",
        )
        first = bot.lambda_handler.handler(api_gateway_event(body, "application/json"), context)
        assert first["statusCode"] == 200
        (invocation,) = aws.invocations  # over the wire, signed, as Lambda would receive it
        assert invocation["function"] == context.invoked_function_arn
        assert invocation["type"] == "Event"
        assert invocation["payload"]["headers"]["x-slack-bolt-lazy-only"] == "1"
        assert allowed(config, "lambda:InvokeFunction", invocation["function"])
        assert len(aws.requests) == 2  # the secret was read once, at cold start

    def test_deployed_environment_syncs_a_pushed_repository_with_the_secrets_token(
        self,
        config: dict[str, Any],
        aws: AwsAPI,
        slack_api: SlackAPI,
        osmem_url: str,
        git_server: GitServer,
        bedrock_server: BedrockServer,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gencode/dev/slack-AbCdEf"
        aws.secrets[secret_arn] = json.dumps(
            {
                "SLACK_BOT_TOKEN": slack_api.token,
                "SLACK_SIGNING_SECRET": SECRET,
                "GENCODE_GIT_TOKEN": GIT_TOKEN,
                "GENCODE_GIT_WEBHOOK_SECRET": HOOK_SECRET,
            }
        )
        for name, value in resolve(
            config["provider"]["environment"], config, {"gitHosts": git_server.base}
        ).items():
            if isinstance(value, str):
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENSEARCH_URL", osmem_url)
        monkeypatch.setenv("OPENSEARCH_NORI", "false")
        monkeypatch.setenv("SLACK_SECRET_ARN", secret_arn)
        monkeypatch.setenv("SLACK_API_URL", slack_api.api_url)
        monkeypatch.setenv("GENCODE_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("BEDROCK_ENDPOINT_URL", bedrock_server.url)  # Titan, summaries
        monkeypatch.setattr(bot.lambda_handler, "_handler", None)
        function = resolve(config["functions"]["slack"]["name"], config)
        context = Context(
            function_name=function,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}",
        )
        health = {"rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}}
        assert bot.lambda_handler.handler(health, context)["statusCode"] == 200
        handlers = bot.lambda_handler._handler
        assert handlers is not None
        repo = git_server.repo("shop", {"shop/util.py": "def slugify(t):\n    return t\n"})
        added = handlers.git.git.add(git_server.url("shop"), workspace="T1")  # the secret's token

        body = github_push(git_server, "shop", after=repo.push())
        event = {
            "rawPath": "/git/webhook",
            "requestContext": {"http": {"method": "POST"}},
            "headers": {k.lower(): v for k, v in github_headers(body).items()},
            "body": json.dumps(body),
        }
        assert bot.lambda_handler.handler(event, context)["statusCode"] == 202
        (invocation,) = aws.invocations  # signed, over the wire
        assert invocation["type"] == "Event"
        assert invocation["function"] == context.invoked_function_arn
        assert allowed(config, "lambda:InvokeFunction", invocation["function"])
        assert invocation["payload"] == {"gencode_git_sync": added.id, "hop": 0}
        bot.lambda_handler.handler(invocation["payload"], context)
        synced = handlers.git.git.repository(added.id)
        assert synced is not None and synced.commit == body["after"]

    def test_secret_still_empty_fails_health_check_saying_what_to_do(
        self, aws: AwsAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gencode/dev/slack-AbCdEf"
        aws.empty.add(secret_arn)  # as the stack creates it, before put-secret-value
        monkeypatch.setenv("SLACK_SECRET_ARN", secret_arn)
        monkeypatch.setattr(bot.lambda_handler, "_handler", None)
        health = {"rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}}
        reply = bot.lambda_handler.handler(health, Context())
        assert reply["statusCode"] == 503 and "secret" not in reply["body"]
        assert "has no value yet" in caplog.text and "infra/README.md" in caplog.text
        assert bot.lambda_handler._handler is None  # the next request tries again

    def test_unconfigured_secret_fails_health_check_without_leaking(
        self, aws: AwsAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        secret_arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gencode/dev/slack-AbCdEf"
        aws.secrets[secret_arn] = json.dumps(
            {"SLACK_BOT_TOKEN": "REPLACE_ME", "SLACK_SIGNING_SECRET": "REPLACE_ME"}
        )
        monkeypatch.setenv("SLACK_SECRET_ARN", secret_arn)
        monkeypatch.setattr(bot.lambda_handler, "_handler", None)
        health = {"rawPath": "/healthz", "requestContext": {"http": {"method": "GET"}}}
        reply = bot.lambda_handler.handler(health, Context())
        assert reply["statusCode"] == 503 and "secret" not in reply["body"]
        assert "still holds the placeholder" in caplog.text
        assert bot.lambda_handler._handler is None  # the next request tries again
