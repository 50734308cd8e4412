package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A node with requirepass and a named user: clients must authenticate, with Redis' replies. */
class AuthIT extends NodePerClass {
    private static final Err NOAUTH = new Err("NOAUTH Authentication required.");
    private static final Err WRONGPASS = new Err("WRONGPASS invalid username-password pair or user is disabled.");

    @BeforeAll
    static void startNode() {
        fx = KeymeshFixture.start(Map.of(
                "keymesh.requirepass", "s3cret",
                "keymesh.users", List.of(Map.of("name", "app", "password", "pw"))));
    }

    @Test
    void unauthenticatedCommandsGetNoauth() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals(NOAUTH, s.call("GET", "k"));
            assertEquals(NOAUTH, s.call("PING"));
            assertEquals(NOAUTH, s.call("CLIENT", "ID"));
            assertEquals(NOAUTH, s.call("SELECT", "1"));
            assertEquals(NOAUTH, s.call("SUBSCRIBE", "ch"));
            assertEquals(NOAUTH, s.call("NOSUCHCOMMAND"));
            assertEquals("OK", s.call("AUTH", "s3cret"), "the connection is still usable for AUTH");
        }
    }

    @Test
    void wrongPasswordsGetWrongpassAndLeaveTheClientUnauthenticated() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals(WRONGPASS, s.call("AUTH", "nope"));
            assertEquals(WRONGPASS, s.call("AUTH", "app", "s3cret"));
            assertEquals(WRONGPASS, s.call("AUTH", "nobody", "pw"));
            assertEquals(WRONGPASS, s.call("AUTH", "default", "pw"));
            assertEquals(NOAUTH, s.call("GET", "k"));
            assertEquals(WRONGPASS, s.call("HELLO", "3", "AUTH", "app", "wrong"));
            assertEquals(NOAUTH, s.call("GET", "k"));
        }
    }

    @Test
    void authWithRequirepassAuthenticatesAsDefaultUser() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("AUTH", "s3cret"));
            assertEquals("OK", s.call("SET", "auth-k", "v"));
            assertEquals("v", s.call("GET", "auth-k"));
            assertEquals("default", s.call("ACL", "WHOAMI"));
            assertEquals("OK", s.call("AUTH", "default", "s3cret"));
        }
    }

    @Test
    void authWithUserAndPasswordAuthenticatesAsThatUser() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("AUTH", "app", "pw"));
            assertEquals("app", s.call("ACL", "WHOAMI"));
            assertEquals("PONG", s.call("PING"));
            String info = (String) s.call("CLIENT", "INFO");
            assertTrue(info.contains(" user=app "), info);
        }
    }

    @Test
    void hello3WithAuthAuthenticatesAndSwitchesProtocol() throws IOException {
        try (RespSocket s = fx.raw()) {
            Object hello = s.call("HELLO", "3", "AUTH", "app", "pw", "SETNAME", "via-hello");
            assertInstanceOf(Map.class, hello, "HELLO 3 AUTH replies a map: " + hello);
            assertEquals(3L, ((Map<?, ?>) hello).get("proto"));
            assertEquals("app", s.call("ACL", "WHOAMI"));
            assertEquals("via-hello", s.call("CLIENT", "GETNAME"));
            assertEquals("_\r\n", s.callRaw("GET", "nothing-here"));
        }
        try (RespSocket s = fx.raw()) {
            Object refused = s.call("HELLO", "3");
            assertInstanceOf(Err.class, refused);
            assertTrue(((Err) refused).message().startsWith("NOAUTH HELLO must be called with the client already authenticated"),
                    refused.toString());
        }
    }

    @Test
    void unauthenticatedClientSendingTwentyArgumentsIsRefusedAndDisconnected() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket bystander = fx.raw()) {
            assertEquals("OK", bystander.call("AUTH", "s3cret"));
            String[] big = new String[20];
            big[0] = "MSET";
            for (int i = 1; i < 20; i++) {
                big[i] = "a" + i;
            }
            s.send(big);
            Object reply = s.read();
            assertInstanceOf(Err.class, reply);
            assertTrue(((Err) reply).message().startsWith("ERR Protocol error"), reply.toString());
            assertTrue(s.closedByPeer(Duration.ofSeconds(5)), "the unauthenticated client is disconnected");
            assertEquals("PONG", bystander.call("PING"), "other clients are unaffected");
        }
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("AUTH", "s3cret"));
            List<String> args = new ArrayList<>(List.of("MSET"));
            for (int i = 0; i < 20; i++) {
                args.add("m" + i);
                args.add("v" + i);
            }
            assertEquals("OK", s.call(args.toArray(new String[0])), "authenticated clients may send 41 arguments");
        }
        try (RespSocket s = fx.raw()) {   // redis-benchmark -a pipelines AUTH and a long MSET in one write
            List<String> args = new ArrayList<>(List.of("MSET"));
            for (int i = 0; i < 20; i++) {
                args.add("p" + i);
                args.add("v" + i);
            }
            java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
            RespSocket.encodeInto(both, "AUTH", "s3cret");
            RespSocket.encodeInto(both, args.toArray(new String[0]));
            s.sendRaw(both.toByteArray());
            assertEquals("OK", s.read(), "AUTH");
            assertEquals("OK", s.read(), "the MSET pipelined behind AUTH runs with the authenticated limits");
            assertEquals("v19", s.call("GET", "p19"));
        }
    }

    @Test
    void lettuceConnectsWithPasswordOrUserInBothProtocols() {
        for (ProtocolVersion protocol : List.of(ProtocolVersion.RESP2, ProtocolVersion.RESP3)) {
            RedisURI withPassword = RedisURI.builder().withHost("127.0.0.1").withPort(fx.port())
                    .withPassword("s3cret".toCharArray()).withTimeout(KeymeshFixture.TIMEOUT).build();
            RedisCommands<String, String> a = fx.client(withPassword, protocol).connect().sync();
            assertEquals("default", KeymeshFixture.call(a.getStatefulConnection(), "ACL", "WHOAMI"));
            a.set("lettuce-auth", protocol.name());
            assertEquals(protocol.name(), a.get("lettuce-auth"));

            RedisURI withUser = RedisURI.builder().withHost("127.0.0.1").withPort(fx.port())
                    .withAuthentication("app", "pw").withTimeout(KeymeshFixture.TIMEOUT).build();
            RedisCommands<String, String> b = fx.client(withUser, protocol).connect().sync();
            assertEquals("app", KeymeshFixture.call(b.getStatefulConnection(), "ACL", "WHOAMI"));
            assertEquals(protocol.name(), b.get("lettuce-auth"));

            RedisURI wrong = RedisURI.builder().withHost("127.0.0.1").withPort(fx.port())
                    .withAuthentication("app", "bad").withTimeout(KeymeshFixture.TIMEOUT).build();
            // the cause is WRONGPASS, or (a Lettuce 6.3 race seen against plain Redis too) "RedisHandshakeHandler not registered"
            RedisConnectionException e = assertThrows(RedisConnectionException.class,
                    () -> fx.client(wrong, protocol).connect());
            assertTrue(causes(e).contains("WRONGPASS") || causes(e).contains("RedisHandshakeHandler"), protocol + ": " + causes(e));
        }
    }

    private static String causes(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append(" <- ");
            for (Throwable sup : c.getSuppressed()) {
                sb.append("[suppressed ").append(sup).append("] ");
            }
        }
        return sb.toString();
    }

    @Test
    void redisCliAuthenticatesWithPasswordAndWithUser() throws Exception {
        KeymeshFixture.CliResult asDefault = fx.redisCli("-a", "s3cret", "--no-auth-warning", "ACL", "WHOAMI");
        assertEquals(0, asDefault.exitCode(), asDefault.stderr());
        assertEquals("default\n", asDefault.stdout());
        KeymeshFixture.CliResult asApp = fx.redisCli("--user", "app", "--pass", "pw", "--no-auth-warning", "ACL", "WHOAMI");
        assertEquals("app\n", asApp.stdout(), asApp.stderr());
        KeymeshFixture.CliResult none = fx.redisCli("GET", "k");
        assertTrue(none.stdout().contains("NOAUTH Authentication required."), none.stdout() + none.stderr());
    }

    @Test
    void resetDeauthenticatesTheClient() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("AUTH", "app", "pw"));
            assertEquals("RESET", s.call("RESET"));
            assertEquals(NOAUTH, s.call("GET", "k"));
            assertEquals("OK", s.call("AUTH", "s3cret"));
            assertEquals("default", s.call("ACL", "WHOAMI"));
        }
    }
}
