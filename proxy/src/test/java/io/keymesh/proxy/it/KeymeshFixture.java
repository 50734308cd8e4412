package io.keymesh.proxy.it;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.testsupport.AnyOutput;
import io.keymesh.proxy.testsupport.CommandKeyword;
import io.keymesh.proxy.testsupport.Teardown;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture for the single-node integration tests: an in-JVM {@link KeymeshNode} on a free
 * loopback port with its own data directory and managed redis-server, plus, on demand, a plain
 * "direct" redis-server on a free loopback TCP port to compare replies with.
 *
 * <p>It hands out Lettuce connections (RESP2 or RESP3), raw {@link RespSocket}s and redis-cli runs,
 * and {@link #close()} stops everything it started (clients, sockets, processes, the node, the direct
 * server) and deletes its temporary directories, even when a step fails.
 */
public final class KeymeshFixture implements AutoCloseable {
    /** Upper bound for every reply a test waits for. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, Object> settings;
    private final Path root;
    private final Path dataDir;
    private final ClientResources resources;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private KeymeshNode node;
    private Process direct;
    private int directPort;

    private KeymeshFixture(Map<String, Object> overrides) throws IOException {
        this.root = Files.createTempDirectory("keymesh-it-");
        this.dataDir = root.resolve("node");
        Map<String, Object> s = new HashMap<>();
        s.put("keymesh.port", 0);
        s.put("keymesh.bind", "127.0.0.1");
        s.put("keymesh.io-threads", 2);
        s.put("keymesh.data-dir", dataDir.toString());
        s.putAll(overrides);
        this.settings = Map.copyOf(s);
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    }

    /** Starts a node with the reference defaults. */
    public static KeymeshFixture start() {
        return start(Map.of());
    }

    /**
     * Starts a node whose config is {@code overrides} (keys like "keymesh.requirepass"; values may be
     * HOCON strings such as "1m", or lists of maps) over the test defaults and conf/reference.conf.
     */
    public static KeymeshFixture start(Map<String, Object> overrides) {
        KeymeshFixture fixture;
        try {
            fixture = new KeymeshFixture(overrides);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            fixture.startNode();
            return fixture;
        } catch (Throwable t) {
            fixture.close();
            throw t instanceof RuntimeException r ? r : new IllegalStateException("keymesh did not start", t);
        }
    }

    private void startNode() {
        KeymeshConfig config = KeymeshConfig.from(
                ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
        try {
            node = KeymeshNode.start(config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting keymesh", e);
        }
    }

    public KeymeshNode node() {
        return node;
    }

    /** The node's client port. */
    public int port() {
        return node.port();
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * Stops the node (its client port and redis-server) and starts a new one with the same config on
     * the same data directory. Connections handed out earlier are to the old node and stay closed.
     */
    public void restartNode() {
        KeymeshNode old = node;
        node = null;
        if (old != null) {
            old.close();
        }
        startNode();
    }

    // ---- Lettuce ---------------------------------------------------------------------------------

    /** A Lettuce client for the node in {@code protocol}; closed by {@link #close()}. */
    public RedisClient client(ProtocolVersion protocol) {
        return client(RedisURI.builder().withHost("127.0.0.1").withPort(port()).withTimeout(TIMEOUT).build(), protocol);
    }

    /** A Lettuce client for {@code uri} in {@code protocol}; closed by {@link #close()}. */
    public RedisClient client(RedisURI uri, ProtocolVersion protocol) {
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).autoReconnect(true).build());
        started.push(() -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
        return client;
    }

    /** A RESP2 connection to the node. */
    public StatefulRedisConnection<String, String> connect() {
        return connect(ProtocolVersion.RESP2);
    }

    public StatefulRedisConnection<String, String> connect(ProtocolVersion protocol) {
        return track(client(protocol).connect());
    }

    public StatefulRedisPubSubConnection<String, String> connectPubSub(ProtocolVersion protocol) {
        return track(client(protocol).connectPubSub());
    }

    /** A connection to the direct redis-server (started on first use). */
    public StatefulRedisConnection<String, String> connectDirect(ProtocolVersion protocol) {
        RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(directPort()).withTimeout(TIMEOUT).build();
        return track(client(uri, protocol).connect());
    }

    private <C extends StatefulRedisConnection<String, String>> C track(C connection) {
        started.push(() -> {
            if (connection.isOpen()) {
                connection.close();
            }
        });
        return connection;
    }

    /**
     * Sends any command through Lettuce and returns its reply as strings, longs and nested lists
     * ({@link AnyOutput}); an error reply throws {@code RedisCommandExecutionException}.
     */
    public static Object call(StatefulRedisConnection<String, String> connection, String command, String... args) {
        CommandArgs<String, String> commandArgs = new CommandArgs<>(StringCodec.UTF8);
        for (String arg : args) {
            commandArgs.add(arg);
        }
        return connection.sync().dispatch(CommandKeyword.of(command), new AnyOutput(StringCodec.UTF8, StandardCharsets.UTF_8), commandArgs);
    }

    // ---- raw sockets -----------------------------------------------------------------------------

    /** A raw RESP socket to the node; closed by {@link #close()}. */
    public RespSocket raw() throws IOException {
        return track(new RespSocket(port(), TIMEOUT));
    }

    /** A raw RESP socket to the direct redis-server. */
    public RespSocket rawDirect() throws IOException {
        return track(new RespSocket(directPort(), TIMEOUT));
    }

    private RespSocket track(RespSocket socket) {
        started.push(socket);
        return socket;
    }

    // ---- the direct redis-server -----------------------------------------------------------------

    /** Port of a plain redis-server (no keymesh), started on first use with persistence off. */
    public synchronized int directPort() {
        if (direct == null) {
            try {
                Path dir = Files.createDirectories(root.resolve("direct"));
                int port = freePort();
                Process p = new ProcessBuilder(redisServerBinary(), "--port", Integer.toString(port),
                        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("redis.log").toFile())
                        .start();
                direct = p;
                started.push(() -> Teardown.stopProcess(p));
                awaitListening(port, p);
                directPort = port;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return directPort;
    }

    private static String redisServerBinary() {
        return Files.isExecutable(Path.of("/usr/bin/redis-server")) ? "/usr/bin/redis-server" : "redis-server";
    }

    /** A loopback port free at the time of the call (for a port a test must know before binding). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port, Process p) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("redis-server exited with " + p.exitValue() + " before listening on " + port);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                sleep(20);
            }
        }
        throw new IOException("redis-server did not listen on " + port + " within " + TIMEOUT);
    }

    // ---- redis-cli -------------------------------------------------------------------------------

    /** What a finished redis-cli run printed. */
    public record CliResult(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code redis-cli -h 127.0.0.1 -p PORT args...} and waits (at most 30 s) for it to finish. */
    public CliResult redisCli(String... args) throws IOException, InterruptedException {
        return redisCliWithInput(null, args);
    }

    /** Like {@link #redisCli}, feeding {@code stdin} to the process. */
    public CliResult redisCliWithInput(byte[] stdin, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(root, "cli", ".out");
        Path err = Files.createTempFile(root, "cli", ".err");
        ProcessBuilder pb = new ProcessBuilder(cliCommand(args))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        try {
            if (stdin != null) {
                try (var os = p.getOutputStream()) {
                    os.write(stdin);
                }
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("redis-cli " + String.join(" ", args) + " did not finish within 30 s; output so far: "
                        + Files.readString(out));
            }
            return new CliResult(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Teardown.stopProcess(p);
        }
    }

    /** Starts redis-cli in the background with its stdout and stderr going to {@code output}; stopped by close(). */
    public Process redisCliInBackground(Path output, String... args) throws IOException {
        Process p = new ProcessBuilder(cliCommand(args))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        started.push(() -> Teardown.stopProcess(p));
        return p;
    }

    private List<String> cliCommand(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port())));
        command.addAll(List.of(args));
        return command;
    }

    /** A file in the fixture's temporary directory (deleted by close()). */
    public Path tempFile(String name) {
        return root.resolve(name);
    }

    // ---- cleanup ---------------------------------------------------------------------------------

    /** FLUSHALL, SCRIPT FLUSH and FUNCTION FLUSH on the node, and on the direct server if it runs. */
    public void flushAll() throws IOException {
        List<Integer> ports = new ArrayList<>(List.of(port()));
        if (direct != null) {
            ports.add(directPort);
        }
        for (int p : ports) {
            try (RespSocket s = new RespSocket(p, TIMEOUT)) {
                for (String[] command : new String[][] {{"FLUSHALL"}, {"SCRIPT", "FLUSH"}, {"FUNCTION", "FLUSH"}}) {
                    Object reply = s.call(command);
                    if (!"OK".equals(reply)) {
                        throw new IllegalStateException(String.join(" ", command) + " on port " + p + " replied " + reply);
                    }
                }
            }
        }
    }

    /** Stops everything this fixture started, newest first, then deletes its directories. */
    @Override
    public void close() {
        Teardown.Steps steps = new Teardown.Steps();
        while (!started.isEmpty()) {
            steps.run(started.pop()::close);
        }
        if (node != null) {
            steps.run(node::close);
            node = null;
        }
        steps.finish(resources, root, "closing the keymesh fixture");
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
