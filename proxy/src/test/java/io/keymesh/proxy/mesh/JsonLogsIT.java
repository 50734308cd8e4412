package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.json.JSONException;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * keymesh.log.format = json, set in the node's config file: a node started with it writes every log
 * line as one JSON object a log shipper can parse, from its first line to its last.
 */
class JsonLogsIT {
    /** As bin/jvm-options sets it: SLF4J's start notice on stderr is not a log line. */
    private static final List<String> JVM = List.of("-Dslf4j.internal.verbosity=WARN");

    @TempDir
    Path dir;

    @Test
    void everyLineIsAJsonObjectWithLevelLoggerAndMessage() throws Exception {
        ExternalKeymesh node = new ExternalKeymesh(dir, Map.of("keymesh.port", 0,
                "keymesh.data-dir", dir.resolve("data").toString(), "keymesh.log.format", "json"), JVM);
        try {
            int port = node.start(Duration.ofSeconds(60));
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                assertEquals("OK", jedis.set("k", "v"));
            }
        } finally {
            node.stop();
        }
        List<String> lines = Files.readAllLines(onlyLog());
        assertTrue(lines.size() >= 2, "the node logged its start and stop: " + lines);
        boolean ready = false;
        for (String line : lines) {
            JSONObject event;
            try {
                event = new JSONObject(line);
            } catch (JSONException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
            assertTrue(List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(event.getString("level")), line);
            assertTrue(event.getLong("timestamp") > 1_600_000_000_000L, line);
            assertTrue(event.getString("loggerName").startsWith("io.keymesh"), line);
            assertTrue(event.has("threadName"), line);
            ready |= event.getString("formattedMessage").startsWith("keymesh ready on 127.0.0.1:");
        }
        assertTrue(ready, "the ready line is there with its arguments filled in: " + lines);
    }

    @Test
    void anUnknownFormatIsRefusedWithTheKeyNamed() throws Exception {
        ExternalKeymesh node = new ExternalKeymesh(dir, Map.of("keymesh.port", 0,
                "keymesh.data-dir", dir.resolve("data").toString(), "keymesh.log.format", "xml"), JVM);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> node.start(Duration.ofSeconds(60)));
            assertTrue(e.getMessage().contains("keymesh.log.format") && e.getMessage().contains("\"text\" or \"json\""),
                    e.getMessage());
        } finally {
            node.stop();
        }
    }

    private Path onlyLog() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> logs = files.filter(p -> p.getFileName().toString().matches("keymesh-\\d+\\.log")).toList();
            assertEquals(1, logs.size(), logs.toString());
            return logs.get(0);
        }
    }
}
