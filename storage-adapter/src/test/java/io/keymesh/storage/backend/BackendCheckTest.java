package io.keymesh.storage.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decision part of BackendCheck and the endpoint types, without a server. */
class BackendCheckTest {

    private static final String WHERE = "redis-server at /x/redis.sock";

    private static Map<String, String> info(String version) {
        return BackendCheck.parseInfo("# Server\r\nredis_version:" + version
                + "\r\nredis_mode:standalone\r\nprocess_id:4242\r\n");
    }

    @Test
    void acceptsAGoodServer() {
        BackendInfo info = BackendCheck.evaluate(WHERE, info("7.0.15"), 16, true, List.of("master", 0L, List.of()));
        assertEquals(new BackendInfo("7.0.15", 16, "standalone", 4242), info);
    }

    @Test
    void rejectsOldVersionWithAClearMessage() {
        BackendCheckException e = assertThrows(BackendCheckException.class,
                () -> BackendCheck.evaluate(WHERE, info("6.2.6"), 16, false, List.of("master")));
        assertEquals("redis-server at /x/redis.sock is version 6.2.6; keymesh needs Redis >= 7.0", e.getMessage());
        assertTrue(e instanceof IllegalStateException);
    }

    @Test
    void rejectsMissingFunction() {
        BackendCheckException e = assertThrows(BackendCheckException.class,
                () -> BackendCheck.evaluate(WHERE, info("7.2.4"), 16, false, List.of("master")));
        assertTrue(e.getMessage().startsWith(WHERE + " (version 7.2.4) has no FUNCTION command"), e.getMessage());
    }

    @Test
    void rejectsReplica() {
        BackendCheckException e = assertThrows(BackendCheckException.class, () -> BackendCheck.evaluate(WHERE,
                info("7.2.4"), 16, true, List.of("slave", "10.0.0.5", 6379L, "connected", 100L)));
        assertEquals(WHERE + " has role slave of 10.0.0.5:6379; keymesh needs a master (a server that is not a "
                + "replica of anything)", e.getMessage());
    }

    @Test
    void rejectsUnreadableOrMissingVersion() {
        assertThrows(BackendCheckException.class,
                () -> BackendCheck.evaluate(WHERE, Map.of(), 16, true, List.of("master")));
        BackendCheckException e = assertThrows(BackendCheckException.class,
                () -> BackendCheck.evaluate(WHERE, info("banana"), 16, true, List.of("master")));
        assertTrue(e.getMessage().contains("unreadable version \"banana\""), e.getMessage());
    }

    @Test
    void addressToStringNeverShowsThePassword() {
        BackendAddress a = new BackendAddress(BackendEndpoint.tcp("db.local", 6380), "keymesh", "s3cret-pw");
        assertFalse(a.toString().contains("s3cret-pw"), a.toString());
        assertEquals("BackendAddress[db.local:6380, user=keymesh, password=***]", a.toString());
        BackendAddress b = BackendAddress.of(BackendEndpoint.unixSocket(Path.of("/x/redis.sock")));
        assertEquals("BackendAddress[/x/redis.sock, password=none]", b.toString());
        assertEquals(null, new BackendAddress(b.endpoint(), "", "").password());
        assertEquals("[::1]:6379", BackendEndpoint.tcp("::1", 6379).toString());
        assertThrows(IllegalArgumentException.class, () -> BackendEndpoint.tcp("h", 0));
    }
}
