package gencode.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.knn.plugin.KNNPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single OpenSearch node on loopback, for Gencode's tests and benchmarks.
 *
 * <p>Why embedded: Maven Central serves the server (as the integ-test distribution, which
 * carries no modules but HTTP) and the k-NN plugin, but the other modules only as jars,
 * without the descriptors and security policies a distribution's plugin loader needs. One
 * JVM with every plugin on the classpath runs the same server code with those plugins, as
 * OpenSearch's own test framework does; there is no security manager, which a test node on
 * loopback does not need.
 *
 * <p>Arguments: the node's home (config/ inside), its data directory, the HTTP port (0 picks
 * a free one) and a file that receives {@code http://127.0.0.1:PORT} once the node serves.
 */
public final class TestNode {
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        PainlessPlugin.class,
        CommonAnalysisPlugin.class,
        ReindexPlugin.class,
        KNNPlugin.class,
        NoriPlugin.class
    );

    private TestNode() {}

    /** {@link Node}'s constructor that takes plugins from the classpath is protected. */
    private static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TestNode HOME DATA PORT URL_FILE");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path data = Path.of(args[1]).toAbsolutePath();
        String port = args[2];
        Path urlFile = Path.of(args[3]).toAbsolutePath();
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", data.resolve("logs").toString())
            .put("cluster.name", "gencode-test")
            .put("node.name", "gencode-test")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            // A shared machine's disk is often fuller than the 85/90/95% watermarks: a test
            // node must not turn its indices read-only because of other people's files.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // Stricter than a domain's default: a write to an index the store did not create
            // (with its mapping) fails instead of getting a guessed, dynamic mapping.
            .put("action.auto_create_index", false)
            .build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), home.resolve("config"), () -> "gencode-test");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("gencode-test");
        LogConfigurator.configure(environment);

        Node node = new ClasspathNode(environment, PLUGINS);
        // The node's own threads are daemons: without one live thread the JVM would exit
        // as soon as main returns (OpenSearch's launcher keeps one alive the same way).
        CountDownLatch stopped = new CountDownLatch(1);
        Thread keepAlive = new Thread(() -> {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "gencode-keep-alive");
        keepAlive.setDaemon(false);
        keepAlive.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }));
        node.start();
        TransportAddress address =
            node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        Path partial = urlFile.resolveSibling(urlFile.getFileName() + ".tmp");
        Files.writeString(partial, "http://" + address.getAddress() + ":" + address.getPort() + "\n");
        Files.move(partial, urlFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
