package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Users with ACL rules, enforced by keymesh before a command reaches the backend, with Redis 7.0's
 * -NOPERM errors; the ACL subcommands answered from keymesh's users; runtime changes kept in the
 * node's ACL file across a restart.
 */
class AclIT extends NodePerClass {
    private static final Err NOPERM_KEY = new Err("NOPERM this user has no permissions to access one of the keys used as arguments");
    private static final Err NOPERM_CHANNEL = new Err("NOPERM this user has no permissions to access one of the channels used as arguments");

    @BeforeAll
    static void startNode() {
        fx = KeymeshFixture.start(Map.of(
                "keymesh.requirepass", "admin-pw",
                "keymesh.users", List.of(
                        Map.of("name", "app", "password", "app-pw",
                                "rules", "~app:* &news:* +@all -@dangerous -@admin"),
                        Map.of("name", "reader", "password", "reader-pw", "rules", "%R~* +@read +@connection"))));
    }

    private static Jedis jedis(String user, String password) {
        Jedis j = new Jedis("127.0.0.1", fx.port(), 10_000);
        j.auth(user, password);
        return j;
    }

    private static RespSocket raw(String user, String password) throws IOException {
        RespSocket s = fx.raw();
        assertEquals("OK", s.call("AUTH", user, password));
        return s;
    }

    @Test
    void aRestrictedUserGetsNopermForCommandsKeysAndChannelsAndTheBackendIsUntouched() throws IOException {
        try (Jedis app = jedis("app", "app-pw"); Jedis admin = jedis("default", "admin-pw")) {
            assertEquals("OK", app.set("app:1", "v"));
            assertEquals("v", app.get("app:1"));
            JedisDataException key = assertThrows(JedisDataException.class, () -> app.set("other", "v"));
            assertEquals(NOPERM_KEY.message(), key.getMessage());
            assertFalse(admin.exists("other"), "the refused SET never reached the backend");
            JedisDataException command = assertThrows(JedisDataException.class, app::flushAll);
            assertEquals("NOPERM this user has no permissions to run the 'flushall' command", command.getMessage());
            JedisDataException sub = assertThrows(JedisDataException.class, () -> app.configGet("maxmemory"));
            assertEquals("NOPERM this user has no permissions to run the 'config|get' command", sub.getMessage());
            assertEquals(0L, app.publish("news:today", "m"));
            JedisDataException channel = assertThrows(JedisDataException.class, () -> app.publish("sport", "m"));
            assertEquals(NOPERM_CHANNEL.message(), channel.getMessage());
        }
    }

    @Test
    void scriptsAndFunctionsAreCheckedOnTheirDeclaredKeys() throws IOException {
        try (RespSocket app = raw("app", "app-pw")) {
            assertEquals("app:s", app.call("EVAL", "return KEYS[1]", "1", "app:s"));
            assertEquals(NOPERM_KEY, app.call("EVAL", "return KEYS[1]", "1", "secret"));
            assertEquals(NOPERM_KEY, app.call("EVAL", "return 1", "2", "app:a", "secret"));
            assertEquals(NOPERM_KEY, app.call("FCALL", "nosuch", "1", "secret"));
            assertEquals(NOPERM_KEY, app.call("ZUNIONSTORE", "app:dst", "2", "app:a", "secret"));
            assertEquals(NOPERM_KEY, app.call("XREAD", "STREAMS", "app:s", "secret", "0", "0"));
            assertEquals(new Err("NOPERM this user has no permissions to run the 'keymesh' command"),
                    app.call("KEYMESH", "PULL", "x"), "link commands need a user with every command");
            assertEquals(new Err("NOPERM this user has no permissions to run the 'sort' command"),
                    app.call("SORT", "app:l", "STORE", "app:dst"), "SORT is @dangerous in Redis 7.0");
        }
        try (RespSocket admin = raw("default", "admin-pw")) {
            assertEquals("OK", admin.call("ACL", "SETUSER", "sorter", "on", "nopass", "~app:*", "+sort"));
            assertEquals("OK", admin.call("ACL", "DRYRUN", "sorter", "SORT", "app:l", "LIMIT", "0", "1", "STORE", "app:dst"));
            assertEquals("This user has no permissions to access the 'secret' key",
                    admin.call("ACL", "DRYRUN", "sorter", "SORT", "app:l", "BY", "w_*", "STORE", "secret"));
        }
    }

    @Test
    void aRefusalInsideMultiDiscardsTheTransactionAsRedisDoes() throws IOException {
        try (RespSocket app = raw("app", "app-pw")) {
            assertEquals("OK", app.call("SET", "app:tx", "before"));
            assertEquals("OK", app.call("MULTI"));
            assertEquals("QUEUED", app.call("SET", "app:tx", "after"));
            assertEquals(NOPERM_KEY, app.call("SET", "elsewhere", "x"));
            assertEquals(new Err("EXECABORT Transaction discarded because of previous errors."), app.call("EXEC"));
            assertEquals("before", app.call("GET", "app:tx"));
            assertEquals("RESET", app.call("RESET"));
            assertEquals(new Err("NOAUTH Authentication required."), app.call("GET", "app:tx"),
                    "RESET goes back to the default user, which needs a password here");
        }
    }

    @Test
    void readPatternsAllowReadsOnly() throws IOException {
        try (RespSocket admin = raw("default", "admin-pw"); RespSocket reader = raw("reader", "reader-pw")) {
            assertEquals("OK", admin.call("SET", "r:1", "v"));
            assertEquals("v", reader.call("GET", "r:1"));
            assertEquals(new Err("NOPERM this user has no permissions to run the 'set' command"),
                    reader.call("SET", "r:1", "x"));
            assertEquals("OK", admin.call("ACL", "DRYRUN", "reader", "GET", "r:1"));
            assertEquals("This user has no permissions to run the 'set' command",
                    admin.call("ACL", "DRYRUN", "reader", "SET", "r:1", "x"));
            assertEquals("This user has no permissions to access the 'other' key",
                    admin.call("ACL", "DRYRUN", "app", "GET", "other"));
            assertEquals(new Err("ERR User 'nobody' not found"), admin.call("ACL", "DRYRUN", "nobody", "GET", "k"));
            assertEquals(new Err("ERR Command 'nocmd' not found"), admin.call("ACL", "DRYRUN", "app", "nocmd"));
        }
    }

    @Test
    void aclCommandsDescribeKeymeshUsersNotTheBackends() throws IOException {
        try (RespSocket admin = raw("default", "admin-pw")) {
            List<?> users = (List<?>) admin.call("ACL", "USERS");
            assertEquals(List.of("app", "default"), users.subList(0, 2), "sorted by name");
            assertTrue(users.contains("reader"), users.toString());
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) admin.call("ACL", "LIST");
            assertEquals(users.size(), list.size(), list.toString());
            assertTrue(list.get(0).startsWith("user app on #") && list.get(0).endsWith(" ~app:* &news:* +@all -@dangerous -@admin"),
                    list.get(0));
            @SuppressWarnings("unchecked")
            List<Object> user = (List<Object>) admin.call("ACL", "GETUSER", "reader");
            assertEquals(List.of("flags", List.of("on"), "passwords", user.get(3), "commands",
                    "-@all +@read +@connection", "keys", "%R~*", "channels", "", "selectors", List.of()), user);
            assertNull(admin.call("ACL", "GETUSER", "nobody"));
            assertEquals("admin", ((List<?>) admin.call("ACL", "CAT")).get(13));
            assertTrue(((List<?>) admin.call("ACL", "CAT", "dangerous")).contains("flushall"));
            assertEquals(new Err("ERR Unknown category 'nocat'"), admin.call("ACL", "CAT", "nocat"));
            List<?> config = (List<?>) admin.call("CONFIG", "GET", "*");
            assertFalse(config.contains("requirepass") || config.contains("aclfile") || config.contains("masterauth"),
                    "CONFIG GET hides the backend's authentication settings");
        }
    }

    @Test
    void resp3ClientsGetMapsAndRedisCliReadsTheUsers() throws Exception {
        try (RespSocket s = fx.raw()) {
            assertTrue(s.call("HELLO", "3", "AUTH", "default", "admin-pw") instanceof Map);
            Map<?, ?> user = (Map<?, ?>) s.call("ACL", "GETUSER", "reader");
            assertEquals("%R~*", user.get("keys"));
            assertEquals(List.of("on"), user.get("flags"));
        }
        KeymeshFixture.CliResult list = fx.redisCli("--user", "default", "--pass", "admin-pw", "--no-auth-warning",
                "ACL", "LIST");
        assertTrue(list.stdout().contains("user reader on #") && list.stdout().contains(" %R~* resetchannels -@all +@read +@connection"),
                list.stdout());
        KeymeshFixture.CliResult refused = fx.redisCli("--user", "reader", "--pass", "reader-pw", "--no-auth-warning",
                "SET", "r:cli", "v");
        assertEquals("NOPERM this user has no permissions to run the 'set' command", refused.stdout().trim()
                .replaceFirst("^\\(error\\) ", ""), refused.stdout());
    }

    @Test
    void refusalsAndFailedLoginsAreInTheAclLog() throws IOException {
        try (RespSocket admin = raw("default", "admin-pw"); RespSocket app = raw("app", "app-pw")) {
            assertEquals("OK", admin.call("ACL", "LOG", "RESET"));
            assertEquals(NOPERM_KEY, app.call("GET", "logged"));
            assertEquals(NOPERM_KEY, app.call("GET", "logged"));
            assertEquals(new Err("WRONGPASS invalid username-password pair or user is disabled."),
                    app.call("AUTH", "app", "wrong"));
            List<?> log = (List<?>) admin.call("ACL", "LOG");
            assertEquals(2, log.size(), log.toString());
            List<?> auth = (List<?>) log.get(0);
            assertEquals(List.of("count", 1L, "reason", "auth", "context", "toplevel", "object", "AUTH", "username", "app"),
                    auth.subList(0, 10));
            List<?> key = (List<?>) log.get(1);
            assertEquals(List.of("count", 2L, "reason", "key", "context", "toplevel", "object", "logged", "username", "app"),
                    key.subList(0, 10));
            assertTrue(((String) key.get(13)).contains("user=app"), key.toString());
        }
    }

    @Test
    void usersChangedAtRuntimeApplyAtOnceAndSurviveARestart() throws Exception {
        KeymeshFixture.CliResult set = fx.redisCli("--user", "default", "--pass", "admin-pw", "--no-auth-warning",
                "ACL", "SETUSER", "ops", "on", ">ops-pw", "~ops:*", "+get", "+set");
        assertEquals("OK", set.stdout().trim(), set.stderr());
        try (RespSocket ops = raw("ops", "ops-pw"); RespSocket admin = raw("default", "admin-pw")) {
            assertEquals("OK", ops.call("SET", "ops:1", "v"));
            assertEquals(new Err("NOPERM this user has no permissions to run the 'del' command"), ops.call("DEL", "ops:1"));
            assertEquals("OK", admin.call("ACL", "SETUSER", "ops", "+del"));
            assertEquals(1L, ops.call("DEL", "ops:1"), "a change applies to open connections");
            assertEquals(new Err("ERR Error in ACL SETUSER modifier 'bogus': Syntax error"),
                    admin.call("ACL", "SETUSER", "ops", "-del", "bogus"));
            assertEquals(0L, ops.call("DEL", "ops:1"), "a refused SETUSER changes nothing");
            assertEquals("OK", admin.call("ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"));
            try (RespSocket gone = raw("gone", "x")) {
                assertEquals(1L, admin.call("ACL", "DELUSER", "gone", "nosuch"));
                assertTrue(gone.closedByPeer(Duration.ofSeconds(5)), "a deleted user's connections are closed");
            }
            assertEquals(new Err("ERR The 'default' user cannot be removed"), admin.call("ACL", "DELUSER", "default"));
        }
        String file = Files.readString(fx.dataDir().resolve("users.acl"));
        assertTrue(file.contains("user ops on #") && file.contains(" ~ops:* resetchannels -@all +get +set +del\n"), file);
        assertFalse(file.contains("ops-pw"), "passwords are kept as hashes");
        assertEquals("OK", setWithPlainRedis(file, "ops", "ops-pw", "ops:3"), "redis-server reads the file as its aclfile");
        fx.restartNode();
        try (RespSocket ops = raw("ops", "ops-pw")) {
            assertEquals("OK", ops.call("SET", "ops:2", "v"));
            assertEquals(NOPERM_KEY, ops.call("SET", "x", "v"));
        }
        try (RespSocket s = fx.raw()) {
            assertEquals(new Err("WRONGPASS invalid username-password pair or user is disabled."), s.call("AUTH", "gone", "x"));
        }
    }

    /** Starts a plain redis-server with {@code aclFile} as its aclfile and SETs {@code key} as {@code user}. */
    private static String setWithPlainRedis(String aclFile, String user, String password, String key) throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("keymesh-acl-redis");
        java.nio.file.Path socket = dir.resolve("redis.sock");
        Files.writeString(dir.resolve("users.acl"), aclFile);
        Process redis = new ProcessBuilder("redis-server", "--port", "0", "--unixsocket", socket.toString(),
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--aclfile", dir.resolve("users.acl").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            io.keymesh.proxy.mesh.Await.until(Duration.ofSeconds(10), "the plain redis-server listens",
                    () -> Files.exists(socket) || !redis.isAlive(), () -> "no socket");
            Process cli = new ProcessBuilder("redis-cli", "-s", socket.toString(), "--user", user, "--pass", password,
                    "--no-auth-warning", "SET", key, "v").redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes()).trim();
            cli.waitFor();
            return redis.isAlive() ? out : "redis-server refused the file: " + Files.readString(dir.resolve("redis.log"));
        } finally {
            io.keymesh.proxy.testsupport.Teardown.stopProcess(redis);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
