package io.keymesh.storage.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BackendCheck against real redis-server processes: credentials, replicas, unreachable sockets. */
class BackendCheckIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    private final List<RedisProcess> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (RedisProcess p : started) {
            p.stop(Duration.ofSeconds(5));
        }
    }

    private RedisProcess start(RedisServerSpec spec) {
        RedisProcess p = new RedisProcess(spec);
        started.add(p);
        p.start(Duration.ofSeconds(10));
        return p;
    }

    @Test
    void authenticatesWithPasswordAndAclUser() {
        RedisProcess p = start(RedisServerSpec.defaults(tmp.resolve("a"))
                .withDatabases(4)
                .withExtraConfig("requirepass", "\"s3cret\"")
                .withExtraConfig("user", "km on >kmpass ~* &* +@all"));
        BackendEndpoint socket = BackendEndpoint.unixSocket(p.socketPath());

        BackendInfo info = BackendCheck.check(socket, null, "s3cret", TIMEOUT);
        assertEquals(4, info.databases());
        assertEquals(p.pid(), info.processId());
        assertEquals(4, BackendCheck.check(new BackendAddress(socket, "km", "kmpass"), TIMEOUT).databases());

        BackendCheckException wrong = assertThrows(BackendCheckException.class,
                () -> BackendCheck.check(socket, null, "nope", TIMEOUT));
        assertTrue(wrong.getMessage().startsWith("redis-server at " + p.socketPath()), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("WRONGPASS"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("nope"), "never echo the password");

        BackendCheckException none = assertThrows(BackendCheckException.class,
                () -> BackendCheck.check(socket, null, null, TIMEOUT));
        assertTrue(none.getMessage().contains("NOAUTH"), none.getMessage());
    }

    @Test
    void configDeniedFallsBackToSixteenDatabases() {
        RedisProcess p = start(RedisServerSpec.defaults(tmp.resolve("b"))
                .withDatabases(8)
                .withExtraConfig("user", "limited on >pw ~* &* +@all -config"));
        BackendInfo info = BackendCheck.check(BackendEndpoint.unixSocket(p.socketPath()), "limited", "pw", TIMEOUT);
        assertEquals(16, info.databases());
    }

    @Test
    void rejectsAReplica() {
        // A replica of a master that does not exist (nothing listens on port 1) still reports role slave.
        RedisProcess p = start(RedisServerSpec.defaults(tmp.resolve("c")).withExtraConfig("replicaof", "127.0.0.1 1"));
        BackendCheckException e = assertThrows(BackendCheckException.class,
                () -> BackendCheck.check(BackendEndpoint.unixSocket(p.socketPath()), null, null, TIMEOUT));
        assertEquals("redis-server at " + p.socketPath() + " has role slave of 127.0.0.1:1; keymesh needs a master "
                + "(a server that is not a replica of anything)", e.getMessage());
    }

    @Test
    void unreachableSocketNamesTheEndpoint() {
        Path missing = tmp.resolve("nothing-here.sock");
        BackendCheckException e = assertThrows(BackendCheckException.class,
                () -> BackendCheck.check(BackendEndpoint.unixSocket(missing), null, null, Duration.ofSeconds(2)));
        assertTrue(e.getMessage().startsWith("cannot connect to redis-server at " + missing), e.getMessage());
    }
}
