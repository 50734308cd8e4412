package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.it.RespSocket.Push;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

/**
 * Client-side caching across a two-primary mesh: a client tracking keys on node B is told when a
 * write made on node A, an expiry or a flush changes them, in every tracking mode, with keymesh
 * client ids for REDIRECT and without keymesh's own state keys in broadcast invalidations.
 */
class ClientTrackingMeshIT extends MeshTest {
    private static final Duration READ = Duration.ofSeconds(30);

    private RespSocket resp3(MeshNode node) throws IOException {
        RespSocket s = new RespSocket(node.port(), READ);
        assertInstanceOf(Map.class, s.call("HELLO", "3"));
        return s;
    }

    private static Push invalidate(String... keys) {
        return new Push(List.of("invalidate", List.of(keys)));
    }

    @Test
    void aClientTrackingOnBIsToldOfWritesExpiriesAndFlushesMadeOnA() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("k", "v1");
        Await.value(CONVERGE, b, "k", "v1");
        try (RespSocket t = resp3(b)) {
            assertEquals("OK", t.call("CLIENT", "TRACKING", "ON"));
            assertEquals("v1", t.call("GET", "k"));
            a.sync().set("k", "v2");
            assertEquals(invalidate("k"), t.read(), "a write on A invalidates the key on B");
            assertEquals("v2", t.call("GET", "k"));

            a.sync().set("e", "short", io.lettuce.core.SetArgs.Builder.px(4000));
            Await.value(CONVERGE, b, "e", "short");
            assertEquals("short", t.call("GET", "e"));
            assertEquals(invalidate("e"), t.read(), "the key's expiry on B invalidates it");
            assertEquals(null, t.call("GET", "e"));

            assertEquals("OK", a.sync().flushdb());
            assertEquals(new Push(Arrays.asList("invalidate", null)), t.read(), "a FLUSHDB on A invalidates everything on B");
            Await.value(CONVERGE, b, "k", null);
            assertEquals("PONG", drainPushes(t, "PING"), "the connection keeps answering in order");
        }
    }

    @Test
    void broadcastWithAPrefixGetsOnlyKeysUnderItAndNeverKeymeshStateKeys() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (RespSocket prefixed = resp3(b); RespSocket everything = resp3(b)) {
            assertEquals("OK", prefixed.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"));
            assertEquals("OK", everything.call("CLIENT", "TRACKING", "ON", "BCAST"));
            a.sync().set("other", "x");
            a.sync().set("user:1", "ann");
            assertEquals(invalidate("user:1"), prefixed.read(), "only the key under the prefix, from a write on A");
            List<Object> seen = new ArrayList<>();
            while (!seen.contains("user:1")) {
                Object push = everything.read();
                assertInstanceOf(Push.class, push);
                seen.addAll((List<?>) ((Push) push).items().get(1));
            }
            assertTrue(seen.contains("other"), seen.toString());
            assertFalse(seen.stream().anyMatch(k -> String.valueOf(k).startsWith("km:")), "keymesh state keys: " + seen);
            // housekeeping and the links keep writing keymesh's state keys: none of it reaches the client
            assertTrue(everything.silentFor(Duration.ofSeconds(2)), "no invalidation without a user write");
            assertTrue(prefixed.silentFor(Duration.ofMillis(200)));
            b.sync().set("user:2", "bob");
            assertEquals(invalidate("user:2"), prefixed.read(), "a write on B itself");
        }
    }

    @Test
    void optinTracksOnlyTheReadAfterClientCachingYes() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (RespSocket t = resp3(b)) {
            assertEquals("OK", t.call("CLIENT", "TRACKING", "ON", "OPTIN"));
            assertEquals(null, t.call("GET", "untracked"));
            assertEquals("OK", t.call("CLIENT", "CACHING", "YES"));
            assertEquals(null, t.call("GET", "tracked"));
            a.sync().set("untracked", "1");
            a.sync().set("tracked", "2");
            assertEquals(invalidate("tracked"), t.read(), "the first push is for the opted-in key");
            Map<?, ?> info = (Map<?, ?>) t.call("CLIENT", "TRACKINGINFO");
            assertEquals(List.of("on", "optin"), info.get("flags"), info.toString());
        }
    }

    @Test
    void noloopSkipsTheClientsOwnWritesButNotThePeers() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (RespSocket t = resp3(b)) {
            assertEquals("OK", t.call("CLIENT", "TRACKING", "ON", "NOLOOP"));
            assertEquals(null, t.call("GET", "n"));
            assertEquals("OK", t.call("SET", "n", "mine"));
            assertEquals("PONG", t.call("PING"), "no push for the client's own write");
            assertEquals("mine", t.call("GET", "n"));
            Await.value(CONVERGE, a, "n", "mine");
            a.sync().set("n", "theirs");
            assertEquals(invalidate("n"), t.read(), "the peer's write still invalidates");
        }
    }

    @Test
    void resp2RedirectToAnotherKeymeshConnectionDeliversPubSubMessages() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (RespSocket x = new RespSocket(b.port(), READ); RespSocket t = new RespSocket(b.port(), READ)) {
            long xid = (Long) x.call("CLIENT", "ID");
            assertEquals(List.of("subscribe", "__redis__:invalidate", 1L), x.call("SUBSCRIBE", "__redis__:invalidate"));
            assertEquals(new RespSocket.Err("ERR The client ID you want redirect to does not exist"),
                    t.call("CLIENT", "TRACKING", "ON", "REDIRECT", "987654"));
            assertEquals("OK", t.call("CLIENT", "TRACKING", "ON", "REDIRECT", Long.toString(xid)));
            assertEquals(xid, t.call("CLIENT", "GETREDIR"), "GETREDIR answers the keymesh id");
            assertEquals(List.of("flags", List.of("on"), "redirect", xid, "prefixes", List.of()), t.call("CLIENT", "TRACKINGINFO"));
            assertEquals(null, t.call("GET", "r"));
            a.sync().set("r", "1");
            assertEquals(List.of("message", "__redis__:invalidate", List.of("r")), x.read());
            a.sync().flushdb();
            assertEquals(Arrays.asList("message", "__redis__:invalidate", null), x.read());
            assertEquals("OK", t.call("CLIENT", "TRACKING", "OFF"));
            assertEquals(-1L, t.call("CLIENT", "GETREDIR"));
        }
    }

    @Test
    void aResp3ClientWhoseRedirectTargetLeftGetsTrackingRedirBroken() throws IOException {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (RespSocket t = resp3(b)) {
            long xid;
            try (RespSocket x = resp3(b)) {
                xid = (Long) x.call("CLIENT", "ID");
                assertEquals("OK", t.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p:", "REDIRECT", Long.toString(xid)));
                a.sync().set("p:1", "1");
                assertEquals(invalidate("p:1"), x.read(), "a RESP3 target gets the push itself");
                assertTrue(t.silentFor(Duration.ofMillis(300)), "the tracking client gets nothing while its target lives");
            }
            Await.until(CONVERGE, "the target's session is gone", () -> !b.sync().clientList().contains("id=" + xid + " "),
                    () -> b.sync().clientList());
            a.sync().set("p:2", "2");
            assertEquals(new Push(List.of("tracking-redir-broken", xid)), t.read());
        }
    }

    @Test
    void lettuceClientSideCacheOnBDropsAValueWrittenOnA() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("lk", "v1");
        Await.value(CONVERGE, b, "lk", "v1");
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", b.port()));
        try {
            StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8);
            Map<String, String> cache = new ConcurrentHashMap<>();
            CacheFrontend<String, String> frontend = ClientSideCaching.enable(CacheAccessor.forMap(cache), connection,
                    TrackingArgs.Builder.enabled());
            assertEquals("v1", frontend.get("lk"));
            assertEquals("v1", cache.get("lk"), "Lettuce cached the value");
            a.sync().set("lk", "v2");
            Await.until(CONVERGE, "the invalidation from A's write evicts the cached value on B",
                    () -> !cache.containsKey("lk"), cache::toString);
            assertEquals("v2", frontend.get("lk"));
            frontend.close();
        } finally {
            client.shutdown();
        }
    }

    /** Sends a request and returns its reply, skipping pushes that arrive before it. */
    private static Object drainPushes(RespSocket s, String... request) throws IOException {
        s.send(request);
        Object reply;
        do {
            reply = s.read();
        } while (reply instanceof Push);
        return reply;
    }
}
