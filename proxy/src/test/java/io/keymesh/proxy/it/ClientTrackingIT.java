package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Client-side caching on one node, byte for byte against a plain redis-server: the same scenario
 * runs on both and every reply and invalidation must be Redis' own, with keymesh client ids where
 * Redis has its own (CLIENT ID, REDIRECT, GETREDIR, TRACKINGINFO).
 */
class ClientTrackingIT extends OneNodePerClass {

    /** The exact bytes each step produced, the redirect target's id written as {@code <X>}. */
    private static final class Transcript {
        final List<String> steps = new ArrayList<>();
        String id = "\u0000";

        void add(String raw) {
            steps.add(raw.replace(":" + id + "\r\n", ":<X>\r\n"));
        }
    }

    private List<String> redirectToResp2Subscriber(int port) throws IOException {
        Transcript out = new Transcript();
        try (RespSocket x = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket t = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket w = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            out.id = String.valueOf(x.call("CLIENT", "ID"));
            out.add(x.callRaw("SUBSCRIBE", "__redis__:invalidate"));
            out.add(t.callRaw("CLIENT", "TRACKING", "ON", "REDIRECT", out.id));
            out.add(t.callRaw("CLIENT", "GETREDIR"));
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
            out.add(t.callRaw("MGET", "a", "b"));
            w.call("SET", "a", "1");
            out.add(x.readRaw());
            w.call("MSET", "a", "2", "b", "2");
            out.add(x.readRaw());                    // a was invalidated already: only b
            out.add(t.callRaw("SET", "e", "v", "PX", "150"));
            out.add(t.callRaw("GET", "e"));          // the SET invalidated nothing: e was not tracked
            out.add(x.readRaw());                    // e expires
            out.add(t.callRaw("GET", "a"));
            w.call("FLUSHDB");
            out.add(x.readRaw());
            out.add(t.callRaw("CLIENT", "TRACKING", "OFF"));
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
            assertTrue(x.silentFor(Duration.ofMillis(200)), "nothing else reaches the target");
        }
        return out.steps;
    }

    private List<String> broadcastToResp3Target(int port) throws IOException {
        Transcript out = new Transcript();
        try (RespSocket x = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket t = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket w = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            x.call("HELLO", "3");
            t.call("HELLO", "3");
            out.id = String.valueOf(x.call("CLIENT", "ID"));
            out.add(t.callRaw("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "u:", "PREFIX", "v:", "NOLOOP",
                    "REDIRECT", out.id));
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
            w.call("SET", "u:1", "1");
            out.add(x.readRaw());
            w.call("SET", "other", "1");
            t.call("SET", "v:1", "own write: NOLOOP");
            w.call("SET", "v:2", "1");
            out.add(x.readRaw());
            assertTrue(t.silentFor(Duration.ofMillis(200)), "the tracking client gets no push itself");
        }
        return out.steps;
    }

    private List<String> optoutWithCachingNo(int port) throws IOException {
        Transcript out = new Transcript();
        try (RespSocket t = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket w = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            t.call("HELLO", "3");
            out.add(t.callRaw("CLIENT", "CACHING", "NO"));          // an error before tracking is on
            out.add(t.callRaw("CLIENT", "TRACKING", "ON", "OPTOUT"));
            out.add(t.callRaw("CLIENT", "CACHING", "NO"));
            out.add(t.callRaw("GET", "o1"));
            out.add(t.callRaw("GET", "o2"));
            w.call("SET", "o1", "1");
            w.call("SET", "o2", "1");
            out.add(t.readRaw());
            out.add(t.callRaw("CLIENT", "GETREDIR"));
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
        }
        return out.steps;
    }

    private List<String> redirectTargetGone(int port) throws IOException, InterruptedException {
        Transcript out = new Transcript();
        try (RespSocket t = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket w = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            t.call("HELLO", "3");
            try (RespSocket x = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
                out.id = String.valueOf(x.call("CLIENT", "ID"));
                out.add(t.callRaw("CLIENT", "TRACKING", "ON", "REDIRECT", out.id));
                out.add(t.callRaw("GET", "g"));
            }
            long deadline = System.nanoTime() + KeymeshFixture.TIMEOUT.toNanos();
            while (String.valueOf(w.call("CLIENT", "LIST")).contains("id=" + out.id + " ")) {
                assertTrue(System.nanoTime() < deadline, "the target's connection is still listed");
                Thread.sleep(20);
            }
            w.call("SET", "g", "1");
            out.add(t.readRaw());                    // tracking-redir-broken <X>
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
            out.add(t.callRaw("CLIENT", "GETREDIR"));
            out.add(t.callRaw("CLIENT", "TRACKING", "OFF"));
            out.add(t.callRaw("CLIENT", "TRACKINGINFO"));
        }
        return out.steps;
    }

    @Test
    void aRedirectTargetThatLeftIsReportedAsByRedis() throws Exception {
        assertEquals(redirectTargetGone(fx.directPort()), redirectTargetGone(fx.port()));
    }

    @Test
    void resp2RedirectToASubscribedConnectionIsRedisOwn() throws IOException {
        assertEquals(redirectToResp2Subscriber(fx.directPort()), redirectToResp2Subscriber(fx.port()));
    }

    @Test
    void broadcastWithPrefixesNoloopAndAResp3RedirectTargetIsRedisOwn() throws IOException {
        assertEquals(broadcastToResp3Target(fx.directPort()), broadcastToResp3Target(fx.port()));
    }

    @Test
    void optoutWithClientCachingNoIsRedisOwn() throws IOException {
        assertEquals(optoutWithCachingNo(fx.directPort()), optoutWithCachingNo(fx.port()));
    }

    @Test
    void aReadPipelinedRightBehindARedirectingTrackingIsTracked() throws IOException {
        try (RespSocket x = fx.raw(); RespSocket t = fx.raw(); RespSocket w = fx.raw()) {
            String xid = String.valueOf(x.call("CLIENT", "ID"));
            x.call("SUBSCRIBE", "__redis__:invalidate");
            w.call("SET", "pk", "1");
            java.io.ByteArrayOutputStream pipeline = new java.io.ByteArrayOutputStream();
            RespSocket.encodeInto(pipeline, "CLIENT", "TRACKING", "ON", "REDIRECT", xid);
            RespSocket.encodeInto(pipeline, "GET", "pk");
            RespSocket.encodeInto(pipeline, "CLIENT", "GETREDIR");
            t.sendRaw(pipeline.toByteArray());       // one write: the GET arrives while the redirect link opens
            assertEquals("OK", t.read());
            assertEquals("1", t.read());
            assertEquals(Long.valueOf(xid), t.read());
            w.call("SET", "pk", "2");
            assertEquals(List.of("message", "__redis__:invalidate", List.of("pk")), x.read(),
                    "the GET ran after tracking was on: its key is tracked");
        }
    }

    @Test
    void aRedirectToAnUnknownClientIsRefusedAsByRedis() throws IOException {
        try (RespSocket t = fx.raw(); RespSocket d = fx.rawDirect()) {
            String[] command = {"CLIENT", "TRACKING", "ON", "REDIRECT", "424242"};
            assertEquals(d.callRaw(command), t.callRaw(command));
            assertEquals(d.callRaw("CLIENT", "TRACKINGINFO"), t.callRaw("CLIENT", "TRACKINGINFO"));
            assertEquals("PONG", t.call("PING"));
        }
    }

    /** CLIENT TRACKING without ON or OFF gets Redis' arity error, and the connection goes on (it once closed). */
    @Test
    void trackingWithoutOnOrOffGetsTheArityError() throws IOException {
        try (RespSocket t = fx.raw(); RespSocket d = fx.rawDirect()) {
            assertEquals(d.callRaw("CLIENT", "TRACKING"), t.callRaw("CLIENT", "TRACKING"));
            assertEquals("PONG", t.call("PING"));
        }
    }
}
