package io.keymesh.storage.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class RedisServerConfigTest {

    @TempDir
    Path tmp;

    private static List<String> lines(String conf) {
        return conf.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    }

    @Test
    void rendersSocketPortAndAof() {
        Path dir = tmp.resolve("node1");
        RedisServerConfig config = new RedisServerConfig(RedisServerSpec.defaults(dir));
        List<String> lines = lines(config.render());

        assertEquals(dir.resolve("redis.sock"), config.socketPath());
        assertFalse(config.usesFallbackSocket());
        assertTrue(lines.contains("unixsocket \"" + dir.resolve("redis.sock") + "\""), lines::toString);
        assertTrue(lines.contains("unixsocketperm 700"));
        assertTrue(lines.contains("port 0"));
        assertTrue(lines.contains("dir \"" + dir + "\""));
        assertTrue(lines.contains("logfile \"" + dir.resolve("redis.log") + "\""));
        assertTrue(lines.contains("appendonly yes"));
        assertTrue(lines.contains("appendfsync everysec"));
        assertTrue(lines.contains("appenddirname \"appendonlydir\""));
        assertTrue(lines.contains("save \"\""));
        assertTrue(lines.contains("databases 16"));
        assertTrue(lines.contains("daemonize no"));
        assertTrue(lines.contains("supervised no"));
        assertTrue(lines.contains("protected-mode no"));
        assertTrue(lines.contains("maxmemory 0"));
        assertTrue(lines.contains("maxmemory-policy noeviction"));
        assertTrue(lines.contains("maxmemory-clients 0"));
        assertTrue(lines.contains("busy-reply-threshold 5000"));
        assertTrue(lines.contains("enable-debug-command no"));
        assertTrue(lines.contains("enable-module-command no"));
        assertTrue(lines.contains("sanitize-dump-payload clients"), "RESTORE checks DUMP payloads in depth");
        assertTrue(lines.contains("io-threads 1"));
    }

    @Test
    void quotesPathsWithSpacesAndSpecialCharacters() {
        Path dir = tmp.resolve("my data").resolve("we\"ird\\dir");
        String conf = new RedisServerConfig(RedisServerSpec.defaults(dir)).render();
        String expected = "dir \"" + tmp + "/my data/we\\\"ird\\\\dir\"";
        assertTrue(lines(conf).contains(expected), conf);
        assertEquals("\"a b\"", RedisServerConfig.quote("a b"));
        assertEquals("\"tab\\there\\x01\"", RedisServerConfig.quote("tab\there\u0001"));
    }

    @Test
    void appendOnlyOffKeepsRdbDefaultsAndSettingsAreRendered() {
        RedisServerSpec spec = RedisServerSpec.defaults(tmp)
                .withAppendOnly(false, "always")
                .withDatabases(4);
        List<String> lines = lines(new RedisServerConfig(spec).render());
        assertTrue(lines.contains("appendonly no"));
        assertTrue(lines.contains("appendfsync always"));
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("save ")));
        assertTrue(lines.contains("databases 4"));
        assertTrue(lines.contains("maxmemory 0"));
        assertTrue(lines.contains("maxmemory-policy noeviction"));
    }

    @Test
    void extraConfigComesLastInOrder() {
        RedisServerSpec spec = RedisServerSpec.defaults(tmp)
                .withExtraConfig("hz", "50")
                .withExtraConfig("client-output-buffer-limit", "pubsub 64mb 16mb 60");
        List<String> lines = lines(new RedisServerConfig(spec).render());
        assertEquals(List.of("hz 50", "client-output-buffer-limit pubsub 64mb 16mb 60"),
                lines.subList(lines.size() - 2, lines.size()));
    }

    @Test
    void specRejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> RedisServerSpec.defaults(tmp).withAppendOnly(true, "sometimes"));
        assertThrows(IllegalArgumentException.class, () -> RedisServerSpec.defaults(tmp).withDatabases(0));
        for (String directive : List.of("maxmemory", "maxmemory-policy", "MAXMEMORY-POLICY", "maxmemory-clients")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RedisServerSpec.defaults(tmp).withExtraConfig(directive, "allkeys-lru"));
            assertTrue(e.getMessage().contains("metadata") && e.getMessage().contains("keymesh.maxmemory"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> RedisServerSpec.defaults(tmp).withExtraConfig("hz", "1\nport 6379"));
        assertThrows(IllegalArgumentException.class, () -> RedisServerSpec.defaults(tmp).withExtraConfig("two words", "x"));
        assertThrows(UnsupportedOperationException.class,
                () -> RedisServerSpec.defaults(tmp).withExtraConfig("hz", "10").extraConfig().put("a", "b"));
        assertEquals(Map.of(), RedisServerSpec.defaults(tmp).extraConfig());
    }

    @Test
    void longDataDirFallsBackToShortSocketUnderTmp() throws IOException {
        Path dir = tmp.resolve("x".repeat(60)).resolve("y".repeat(60));
        assertTrue((dir + "/redis.sock").getBytes(StandardCharsets.UTF_8).length > 107);

        Path socket = RedisServerConfig.socketPathFor(dir);
        assertTrue(socket.toString().getBytes(StandardCharsets.UTF_8).length <= 107);
        assertTrue(socket.toString().matches("/tmp/keymesh-[0-9a-f]{16}/redis\\.sock"), socket.toString());
        assertEquals(socket, RedisServerConfig.socketPathFor(dir), "stable for the same data dir");
        assertNotEquals(socket, RedisServerConfig.socketPathFor(dir.resolveSibling("z".repeat(60))));

        RedisServerConfig config = new RedisServerConfig(RedisServerSpec.defaults(dir));
        assertTrue(config.usesFallbackSocket());
        assertTrue(lines(config.render()).contains("unixsocket \"" + socket + "\""));

        Logger logger = (Logger) LoggerFactory.getLogger(RedisServerConfig.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            Path conf = config.write();
            assertEquals(dir.resolve("redis.conf"), conf);
            assertEquals(config.render(), Files.readString(conf));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
            assertTrue(appender.list.stream().anyMatch(e -> e.getFormattedMessage().contains("over the 107-byte limit")
                    && e.getFormattedMessage().contains(socket.toString())), appender.list::toString);
        } finally {
            logger.detachAppender(appender);
            deleteTree(socket.getParent());
        }
    }

    @Test
    void socketPathAtTheLimitIsKept() {
        // "/redis.sock" is 11 bytes: a 96-byte data dir gives exactly 107.
        String base = tmp.toString() + "/";
        Path dir = Path.of(base + "d".repeat(96 - base.length()));
        assertEquals(107, dir.resolve("redis.sock").toString().length());
        assertEquals(dir.resolve("redis.sock"), RedisServerConfig.socketPathFor(dir));
        Path longer = Path.of(dir + "e");
        assertNotEquals(longer.resolve("redis.sock"), RedisServerConfig.socketPathFor(longer));
    }

    @Test
    void writeCreatesPrivateDataDir() throws IOException {
        Path dir = tmp.resolve("fresh");
        new RedisServerConfig(RedisServerSpec.defaults(dir)).write();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertTrue(Files.isRegularFile(dir.resolve("redis.conf")));
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
