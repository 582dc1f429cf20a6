"""``gencode repo add|list|remove`` and ``gencode sync``, against the loopback git server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.git_server import TOKEN, GitServer

FILES = {
    "shop/orders.py": "def order_total(order):\n    return sum(order)\n",
    "shop/util.py": "def slugify(text):\n    return text.lower()\n",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def allowed(git_server: GitServer, monkeypatch: pytest.MonkeyPatch) -> GitServer:
    monkeypatch.setenv("GENCODE_GIT_HOSTS", git_server.base)
    monkeypatch.setenv("GENCODE_GIT_TOKEN", TOKEN)
    return git_server


class TestCliGit:
    def test_add_list_sync_and_remove(self, allowed: GitServer) -> None:
        repo = allowed.repo("shop", FILES)
        code, out, err = run("repo", "add", allowed.url("shop"), "--workspace", "T1")
        assert code == 0, err
        assert "registered shop from" in err
        assert "indexed 2 files of shop: 2 new, 0 unchanged, 0 removed functions" in out

        code, out, _ = run("repo", "list")
        name, where, branch, commit, synced, scope = out.strip().split("\t")
        assert (name, branch, commit, scope) == ("shop", "main", repo.push()[:7], "T1")
        assert where.endswith("/acme/shop") and synced.startswith("synced 20")
        assert TOKEN not in out

        code, out, _ = run("sync")
        assert code == 0 and "up to date at" in out
        repo.write({"shop/util.py": "def slugify(text):\n    return text.upper()\n"}).commit()
        head = repo.push()
        code, out, _ = run("sync", "shop")
        assert code == 0
        assert f"at {head[:7]}: indexed 1 file of shop: 1 new, 0 unchanged" in out

        code, out, _ = run("search", "slugify", "--workspace", "T1", "--json")
        assert '"repo": "shop"' in out

        code, out, _ = run("repo", "remove", "shop", "--workspace", "T1")
        assert code == 0 and "removed shop: 2 functions left the index" in out
        code, out, err = run("repo", "list")
        assert out == "" and "No repository" in err

    def test_a_refused_url_is_one_clear_line_and_exit_status_1(self, allowed: GitServer) -> None:
        code, _, err = run("repo", "add", "https://user:hunter2@github.com/acme/shop.git")
        assert code == 1
        assert "carries a user name or password" in err and "GENCODE_GIT_TOKEN" in err
        assert "hunter2" not in err and "Traceback" not in err

    def test_a_failing_sync_says_why_and_fails(self, allowed: GitServer) -> None:
        repo = allowed.repo("shop", FILES)
        repo.commit("feature", branch="feature")
        repo.push(branch="feature")
        assert run("repo", "add", allowed.url("shop"), "--branch", "feature")[0] == 0
        repo.delete_branch("feature")
        code, out, _ = run("sync")
        assert code == 1
        assert "failed: the branch feature does not exist on the remote" in out
        code, out, _ = run("repo", "list")
        assert "error: the branch feature does not exist" in out

    def test_a_bad_hosts_setting_fails_at_start_up(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GENCODE_GIT_HOSTS", "https://user:pw@git.example.com")
        code, _, err = run("repo", "list")
        assert code == 1 and "GENCODE_GIT_HOSTS" in err and "pw@" not in err

    def test_a_malformed_per_host_token_list_fails_without_echoing_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GENCODE_GIT_TOKENS", "git.example.com=ok,glpat-secret-value")
        code, _, err = run("repo", "list")
        assert code == 1 and "GENCODE_GIT_TOKENS entry 2" in err
        assert "glpat-secret-value" not in err
