package io.keymesh.proxy.command;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link Commands#standard()} against a real redis-server (from PATH): every command and
 * subcommand the server reports in COMMAND INFO has a row with the same arity, key positions and
 * movable flag, and the table has no row the server does not know.
 */
class CommandTableIT {
    private static Path dir;
    private static Process server;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    private static String serverVersion = "?";

    /** What the server says about one command, keyed by upper-case name ("CLIENT|LIST"). */
    private record ServerCommand(String name, int arity, int first, int last, int step, boolean movable) {
    }

    @BeforeAll
    static void startRedis() throws Exception {
        dir = Files.createTempDirectory("keymesh-command-it");
        int port = freePort();
        server = new ProcessBuilder("redis-server",
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        awaitListening(port);
        client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        connection = client.connect();
        String info = connection.sync().info("server");
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                serverVersion = line.substring("redis_version:".length()).trim();
            }
        }
    }

    @AfterAll
    static void stopRedis() throws Exception {
        try {
            if (connection != null) {
                connection.close();
            }
            if (client != null) {
                client.shutdown();
            }
        } finally {
            if (server != null) {
                server.destroy();
                if (!server.waitFor(10, TimeUnit.SECONDS)) {
                    server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void tableMatchesServer() {
        Map<String, ServerCommand> reported = serverCommands();
        assertTrue(reported.size() > 200, "server reported only " + reported.size() + " commands");
        CommandTable table = Commands.standard();
        List<String> problems = new ArrayList<>();

        for (ServerCommand cmd : reported.values()) {
            CommandSpec row = table.get(cmd.name());
            if (row == null) {
                problems.add(cmd.name() + ": reported by the server, missing from the table");
                continue;
            }
            if (row.arity() != cmd.arity()) {
                problems.add(cmd.name() + ": arity " + row.arity() + " in the table, " + cmd.arity() + " on the server");
            }
            KeySpec keys = row.keys();
            if (keys.first() != cmd.first() || keys.last() != cmd.last() || keys.step() != cmd.step()) {
                problems.add(cmd.name() + ": keys (" + keys.first() + ", " + keys.last() + ", " + keys.step()
                        + ") in the table, (" + cmd.first() + ", " + cmd.last() + ", " + cmd.step() + ") on the server");
            }
            if (keys.movable() != cmd.movable()) {
                problems.add(cmd.name() + ": movable " + keys.movable() + " in the table, " + cmd.movable() + " on the server");
            }
        }
        for (String name : table.rows().keySet()) {
            if (!reported.containsKey(name)) {
                problems.add(name + ": in the table, unknown to the server");
            }
        }
        if (!problems.isEmpty()) {
            fail("command table differs from redis-server " + serverVersion + " (" + problems.size() + " problems):\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** COMMAND INFO with no names: every command, with its subcommands nested in the tenth field. */
    private static Map<String, ServerCommand> serverCommands() {
        List<Object> all = connection.sync().dispatch(CommandType.COMMAND, new ArrayOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("INFO"));
        Map<String, ServerCommand> out = new LinkedHashMap<>();
        for (Object entry : all) {
            collect((List<?>) entry, out);
        }
        return out;
    }

    private static void collect(List<?> info, Map<String, ServerCommand> out) {
        String name = ((String) info.get(0)).toUpperCase(Locale.ROOT);
        boolean movable = ((List<?>) info.get(2)).stream().anyMatch("movablekeys"::equals);
        out.put(name, new ServerCommand(name, toInt(info.get(1)), toInt(info.get(3)), toInt(info.get(4)),
                toInt(info.get(5)), movable));
        if (info.size() > 9) {
            for (Object sub : (List<?>) info.get(9)) {
                collect((List<?>) sub, out);
            }
        }
    }

    private static int toInt(Object o) {
        return ((Number) o).intValue();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                fail("redis-server exited with " + server.exitValue() + ": " + Files.readString(dir.resolve("redis.log")));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        fail("redis-server did not listen on port " + port + " within 15s");
    }
}
