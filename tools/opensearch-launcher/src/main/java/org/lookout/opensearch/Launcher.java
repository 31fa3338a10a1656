package org.lookout.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one OpenSearch 2.19 node in this JVM with the modules lookout needs, for tests,
 * benchmarks and a small team deployment (scripts/opensearch.sh builds and runs it).
 *
 * <p>Maven Central carries the server's jars but not the distribution, so there is no
 * bin/opensearch and no modules/ folder to load plugins from: the plugins are handed to the
 * node as classes on the classpath instead, which is what the protected {@link Node}
 * constructor is for. Going through {@code Node} directly also skips the distribution's
 * Bootstrap (security manager, bootstrap checks such as vm.max_map_count), which a node bound
 * to loopback for tests does not need.
 *
 * <p>Arguments are settings as {@code key=value}, e.g. {@code path.home=/tmp/x http.port=9200}.
 */
public final class Launcher {
    private Launcher() {}

    /** A node with classpath plugins: the constructor that takes them is protected. */
    static final class PluginNode extends Node {
        PluginNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("opensearch-launcher: expected key=value, got: " + arg);
                System.exit(2);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        String home = settings.get("path.home");
        if (home == null) {
            System.err.println("opensearch-launcher: path.home=DIR is required");
            System.exit(2);
        }
        // Environment wants a config folder even when every setting comes from the command line.
        Path config = Paths.get(home, "config");
        Files.createDirectories(config);

        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        String nodeName = settings.get("node.name", "lookout-node");
        LogConfigurator.setNodeName(nodeName);

        Environment env =
            InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), config, () -> nodeName);
        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);
        Node node = new PluginNode(env, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM (scripts/opensearch.sh stop) closes the node cleanly: shards flushed, locks freed.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("opensearch-launcher: close failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "lookout-node-close"));
        node.start();
        System.err.println("opensearch-launcher: node " + nodeName + " started");
        stopped.await();
    }
}
