package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Push;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** RESP3 through keymesh: HELLO, typed replies (maps, doubles ...), client-side caching pushes. */
class Resp3IT extends OneNodePerClass {
    @Test
    void hello3ReturnsAMapWithProto3ServerAndVersion() throws IOException {
        try (RespSocket s = fx.raw()) {
            Object reply = s.call("HELLO", "3");
            assertInstanceOf(Map.class, reply, "HELLO 3 replies a RESP3 map: " + reply);
            Map<?, ?> hello = (Map<?, ?>) reply;
            assertEquals("redis", hello.get("server"));
            assertEquals(3L, hello.get("proto"));
            assertTrue(String.valueOf(hello.get("version")).startsWith("7."), "version: " + hello.get("version"));
            assertEquals(s.call("CLIENT", "ID"), hello.get("id"));
            assertEquals("master", hello.get("role"));
            assertEquals(List.of(), hello.get("modules"));
            assertEquals("_\r\n", s.callRaw("GET", "missing"), "RESP3 null");
            Object back = s.call("HELLO", "2");
            assertInstanceOf(List.class, back, "HELLO 2 replies a flat array");
            assertEquals(2L, ((List<?>) back).get(((List<?>) back).indexOf("proto") + 1));
            assertEquals("$-1\r\n", s.callRaw("GET", "missing"), "RESP2 null again");
            assertEquals(new RespSocket.Err("NOPROTO unsupported protocol version"), s.call("HELLO", "4"));
        }
        RedisCommands<String, String> lettuce = fx.connect(ProtocolVersion.RESP3).sync();
        assertEquals("PONG", lettuce.ping());
    }

    @Test
    void helloSwitchesTheProtocolAlsoOnAConnectionWithItsOwnBackendLink() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("WATCH", "anything"));          // gives the connection its own backend link
            assertEquals(1L, s.call("HSET", "ph", "f", "v"));
            assertEquals(List.of("f", "v"), s.call("HGETALL", "ph"));
            Object hello = s.call("HELLO", "3");
            assertInstanceOf(Map.class, hello, "HELLO 3 on a pinned connection: " + hello);
            assertEquals(3L, ((Map<?, ?>) hello).get("proto"));
            assertEquals(s.call("CLIENT", "ID"), ((Map<?, ?>) hello).get("id"));
            assertTrue(s.callRaw("HGETALL", "ph").startsWith("%1\r\n"), "the backend link speaks RESP3 now");
            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("GET", "nope"));
            assertEquals("*1\r\n_\r\n", s.callRaw("EXEC"));
            assertInstanceOf(List.class, s.call("HELLO", "2"));
            assertEquals("*2\r\n$1\r\nf\r\n$1\r\nv\r\n", s.callRaw("HGETALL", "ph"), "and RESP2 again");
        }
    }

    @Test
    void hgetallAndOtherTypedRepliesUseResp3Types() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket d = fx.rawDirect()) {
            s.call("HELLO", "3");
            d.call("HELLO", "3");
            assertEquals(2L, s.call("HSET", "h", "a", "1", "b", "2"));
            String raw = s.callRaw("HGETALL", "h");
            assertTrue(raw.startsWith("%2\r\n"), "HGETALL is a RESP3 map: " + raw);
            assertEquals(Map.of("a", "1", "b", "2"), s.call("HGETALL", "h"));
            d.call("HSET", "h", "a", "1", "b", "2");
            for (String[] command : new String[][] {{"HGETALL", "h"}, {"ZADD", "z", "1.5", "m"}, {"ZSCORE", "z", "m"},
                    {"ZRANGE", "z", "0", "-1", "WITHSCORES"}, {"SADD", "s", "1"}, {"SMEMBERS", "s"},
                    {"EXISTS", "h"}, {"CONFIG", "GET", "maxmemory-policy"}, {"XINFO", "HELP"},
                    {"EVAL", "return {double='1.5'}", "0"}, {"EVAL", "return true", "0"}}) {
                assertEquals(d.callRaw(command), s.callRaw(command), String.join(" ", command));
            }
        }
        StatefulRedisConnection<String, String> lettuce = fx.connect(ProtocolVersion.RESP3);
        assertEquals(Map.of("a", "1", "b", "2"), lettuce.sync().hgetall("h"));
    }

    @Test
    void clientTrackingSendsAnInvalidationPushWhenAnotherClientModifiesTheKey() throws Exception {
        StatefulRedisConnection<String, String> tracked = fx.connect(ProtocolVersion.RESP3);
        BlockingQueue<PushMessage> pushes = new LinkedBlockingQueue<>();
        tracked.addListener(pushes::add);
        RedisCommands<String, String> writer = fx.connect().sync();
        writer.set("cached", "v1");
        assertEquals("OK", tracked.sync().clientTracking(TrackingArgs.Builder.enabled()));
        assertEquals("v1", tracked.sync().get("cached"));
        writer.set("cached", "v2");
        PushMessage push = pushes.poll(5, TimeUnit.SECONDS);
        assertNotNull(push, "no invalidation push within 5 s");
        assertEquals("invalidate", push.getType());
        List<Object> content = push.getContent();
        List<String> keys = new ArrayList<>();
        for (Object o : (List<?>) content.get(1)) {
            keys.add(o instanceof ByteBuffer b ? StandardCharsets.UTF_8.decode(b).toString() : String.valueOf(o));
        }
        assertEquals(List.of("cached"), keys);
        assertEquals("v2", tracked.sync().get("cached"), "the tracked connection keeps working");
    }

    @Test
    void clientTrackingOverARawResp3SocketDeliversThePushBetweenReplies() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket writer = fx.raw()) {
            s.call("HELLO", "3");
            assertEquals("OK", s.call("CLIENT", "TRACKING", "ON"));
            assertEquals("OK", writer.call("SET", "t1", "a"));
            assertEquals("a", s.call("GET", "t1"));
            assertEquals("OK", writer.call("SET", "t1", "b"));
            assertEquals(new Push(List.of("invalidate", List.of("t1"))), s.read());
            assertEquals("b", s.call("GET", "t1"));
            Map<?, ?> trackingInfo = (Map<?, ?>) s.call("CLIENT", "TRACKINGINFO");
            assertEquals(List.of("on"), trackingInfo.get("flags"), "CLIENT TRACKINGINFO: " + trackingInfo);
            assertEquals(1L, writer.call("DEL", "t1"));
            assertEquals(new Push(List.of("invalidate", List.of("t1"))), s.read());
            assertEquals("PONG", s.call("PING"));
        }
    }
}
