package io.keymesh.storage.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.conn.ReplyStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-JVM tests of RedisProcess that start no processes. */
class RedisProcessTest {

    @TempDir
    Path tmp;

    private Path executable(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path p = dir.resolve("redis-server");
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void configuredBinaryWins() throws IOException {
        Path mine = executable(tmp.resolve("mine"));
        Path onPath = executable(tmp.resolve("onpath"));
        assertEquals(mine, RedisProcess.findRedisServer(mine.toString(), onPath.getParent().toString(), List.of()));
    }

    @Test
    void configuredBinaryMustBeExecutable() throws IOException {
        Path plain = Files.writeString(tmp.resolve("redis-server"), "");
        RedisStartException e = assertThrows(RedisStartException.class,
                () -> RedisProcess.findRedisServer(plain.toString(), null, List.of()));
        assertTrue(e.getMessage().contains("not an executable file"), e.getMessage());
    }

    @Test
    void searchesPathInOrderThenFallbacks() throws IOException {
        Path second = executable(tmp.resolve("b"));
        Files.createDirectories(tmp.resolve("a"));
        String path = tmp.resolve("a") + ":" + ":" + tmp.resolve("b") + ":" + tmp.resolve("c");
        assertEquals(second, RedisProcess.findRedisServer(null, path, List.of()));
        assertEquals(second, RedisProcess.findRedisServer("  ", path, List.of()));

        Path fallback = executable(tmp.resolve("usr-local"));
        assertEquals(fallback, RedisProcess.findRedisServer("", tmp.resolve("a").toString(), List.of(fallback)));
    }

    @Test
    void missingBinaryHasAHelpfulMessage() {
        RedisStartException e = assertThrows(RedisStartException.class,
                () -> RedisProcess.findRedisServer(null, tmp.toString(), List.of(tmp.resolve("nope"))));
        assertEquals("redis-server not found on PATH; install it (Debian/Ubuntu: apt-get install redis-server) "
                + "or set keymesh.storage.redis.binary", e.getMessage());
    }

    @Test
    void notStartedProcessIsInert() {
        RedisProcess p = new RedisProcess(RedisServerSpec.defaults(tmp));
        assertEquals(-1, p.pid());
        assertTrue(!p.isAlive());
        assertEquals(tmp.resolve("redis.sock"), p.socketPath());
        assertThrows(IllegalStateException.class, () -> p.supervise(new RedisProcess.Listener() {
            @Override
            public void onDown(String reason) {
            }

            @Override
            public void onUp() {
            }
        }));
        p.stop(Duration.ofSeconds(1)); // idempotent, nothing to stop
        p.stop(Duration.ofSeconds(1));
    }

    @Test
    void respProbeParsesReplies() throws IOException {
        assertEquals(new RespProbe.Simple("PONG"), reply("+PONG\r\n"));
        assertTrue(RespProbe.isLoading(reply("-LOADING Redis is loading the dataset in memory\r\n")));
        assertEquals(new RespProbe.Bulk("ab"), reply("$2\r\nab\r\n"));
        assertEquals(new RespProbe.Bulk(null), reply("$-1\r\n"));
        assertEquals(new RespProbe.Int(7), reply(":7\r\n"));
        assertEquals(new RespProbe.Closed(), reply(""));
        assertThrows(java.io.EOFException.class, () -> reply("$2\r\na"));
        assertThrows(java.io.EOFException.class, () -> reply("+PON"));
        assertThrows(java.io.IOException.class, () -> reply("*1\r\n:1\r\n"));
    }

    private static RespProbe.Reply reply(String bytes) throws IOException {
        return RespProbe.reply(new ReplyStream(new ByteArrayInputStream(bytes.getBytes(StandardCharsets.UTF_8)), 1024).next());
    }
}
