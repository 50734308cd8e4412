package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.config.NodeId;
import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.sync.RedisCommands;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A node keeps its id across restarts, and its clock never issues a stamp below one already logged. */
class NodeIdentityIT {

    @Test
    void nodeIdIsGeneratedOnceAndKeptAcrossRestarts() throws Exception {
        try (WriteFixture fx = WriteFixture.replicating()) {
            String id = fx.node().context().nodeId().value();
            assertTrue(NodeId.isValid(id), id);
            assertEquals(id, Files.readString(fx.dataDir().resolve("node-id"), StandardCharsets.US_ASCII).trim());
            try (RespSocket s = fx.raw()) {
                assertTrue(((String) s.call("INFO", "keymesh")).contains("node_id:" + id + "\r\n"));
            }
            fx.restart();
            assertEquals(id, fx.node().context().nodeId().value());
            try (RespSocket s = fx.raw()) {
                assertTrue(((String) s.call("INFO", "keymesh")).contains("node_id:" + id + "\r\n"));
            }
        }
    }

    @Test
    void aConfiguredNodeIdIsUsed() {
        try (WriteFixture fx = WriteFixture.start("true", Map.of("keymesh.node-id", "0badcafe"))) {
            assertEquals("0badcafe", fx.node().context().nodeId().value());
        }
    }

    @Test
    void clockResumesPastTheNewestLoggedStampAfterARestart() throws Exception {
        try (WriteFixture fx = WriteFixture.replicating()) {
            String origin = fx.node().context().nodeId().value();
            try (RespSocket s = fx.raw()) {
                assertEquals("OK", s.call("SET", "before", "1"));
            }
            // A stamp an hour ahead of wall time is in the log (as if this node's wall clock was later set back).
            long ahead = Hlc.pack(System.currentTimeMillis() + 3_600_000L, 7);
            String future = Stamp.of(ahead, "00000001");
            RedisCommands<String, String> backend = fx.connectBackend().sync();
            backend.select(32);
            backend.xadd("km:log:00000001", new XAddArgs().id("1-0"), Map.of("t", future, "x", "0"));
            // and in another origin's log, an hour and a minute ahead, in the first of two SETs sharing
            // the last entry, whose second SET has an earlier stamp
            long further = Hlc.pack(System.currentTimeMillis() + 3_660_000L, 0);
            String first = Stamp.of(further, "00000002");
            String second = Stamp.of(Hlc.pack(System.currentTimeMillis(), 0), "00000002");
            backend.eval("return redis.call('XADD', KEYS[1], '1-0', 't', ARGV[1], 'k', 'a', 's', '1', 't', ARGV[2], 'k', 'b', 's', '2')",
                    ScriptOutputType.VALUE, new String[] {"km:log:00000002"}, first, second);

            fx.restart();
            try (RespSocket s = fx.raw()) {
                assertEquals("OK", s.call("SET", "after", "1"));
            }
            RedisCommands<String, String> again = fx.connectBackend().sync();
            again.select(32);
            List<StreamMessage<String, String>> log = again.xrange("km:log:" + origin, Range.create("-", "+"));
            String last = log.get(log.size() - 1).getBody().get("t");
            assertTrue(Long.compareUnsigned(Stamp.hlc(last), further) > 0,
                    "the write after the restart is stamped " + last + ", after the logged " + future + " and " + first);
        }
    }

    @Test
    void withReplicationOffTheBackendIsUnchanged() throws Exception {
        try (WriteFixture fx = WriteFixture.start("false", Map.of())) {
            RedisCommands<String, String> backend = fx.connectBackend().sync();
            assertEquals("16", backend.configGet("databases").get("databases"));
            assertEquals(List.of(), backend.functionList());
            try (RespSocket s = fx.raw()) {
                assertEquals("OK", s.call("SET", "k", "v"));
                assertTrue(((String) s.call("INFO", "keymesh")).contains("replication_enabled:no"));
                assertEquals("v", s.call("EVAL", "return redis.call('SET', KEYS[1], 'v')  and redis.call('GET', KEYS[1])", "1", "k"));
            }
            assertEquals(1L, backend.dbsize());
        }
    }
}
