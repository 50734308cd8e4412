package io.keymesh.proxy.mesh;

import io.keymesh.proxy.route.ReplicationSetup;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LogEntry;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node's own log, once every peer acknowledged it and housekeeping trimmed it, still holds its
 * newest entry, so a restarted node seeds its clock past that entry's stamp (it logged "the newest
 * logged stamp (none)" when the trim had emptied the log).
 */
class ClockSeedIT extends MeshTest {
    private static final int LOG_DB = 2 * MeshFixture.DATABASES;

    @Test
    void restartedNodeSeedsItsClockFromTheNewestEntryOfATrimmedLog() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        for (int i = 0; i < 10; i++) {
            a.sync().set("k" + i, "v" + i);
        }
        mesh.awaitConverged(MeshNode.TIMEOUT);
        String logKey = "km:log:" + a.nodeId();
        Await.until(MeshNode.TIMEOUT, "housekeeping trimmed A's acknowledged log",
                () -> xlen(a, logKey) == 0 || firstSeq(a, logKey) == position(a), () -> "XLEN " + xlen(a, logKey));
        assertEquals(1, xlen(a, logKey), "only the newest entry stays");
        String newest = newestStamp(a, logKey);

        mesh.restart(a);
        assertEquals(1, xlen(a, logKey), "the entry survives the restart");
        HybridClock clock = new HybridClock(TimeSource.system(), 60_000);
        long seeded = new ReplicationSetup(new BackendEndpoint.UnixSocket(a.backendSocket()), "", "",
                Duration.ofSeconds(10), MeshFixture.DATABASES).seedClock(clock);
        assertEquals(Stamp.hlc(newest), seeded, "the seed reads the newest logged stamp");
        assertTrue(Long.compareUnsigned(clock.now(), seeded) > 0, "the clock runs past it");
        a.sync().set("after-restart", "x");
        Await.value(MeshNode.TIMEOUT, mesh.node(1), "after-restart", "x");
    }

    private static long xlen(MeshNode node, String key) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(LOG_DB);
            return backend.sync().xlen(key);
        }
    }

    private static long firstSeq(MeshNode node, String key) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(LOG_DB);
            List<StreamMessage<String, String>> first = backend.sync().xrange(key, Range.create("-", "+"),
                    io.lettuce.core.Limit.from(1));
            return first.isEmpty() ? -1 : Long.parseLong(first.get(0).getId().split("-")[0]);
        }
    }

    /** km:pos of the node's own origin: its newest sequence. */
    private static long position(MeshNode node) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(LOG_DB);
            return Long.parseLong(backend.sync().hget("km:pos", node.nodeId()));
        }
    }

    private static String newestStamp(MeshNode node, String key) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(LOG_DB);
            List<StreamMessage<String, String>> last = backend.sync().xrevrange(key, Range.create("-", "+"),
                    io.lettuce.core.Limit.from(1));
            assertEquals(1, last.size());
            List<byte[]> fields = new ArrayList<>();
            for (Map.Entry<String, String> f : last.get(0).getBody().entrySet()) {
                fields.add(f.getKey().getBytes(StandardCharsets.ISO_8859_1));
                fields.add(f.getValue().getBytes(StandardCharsets.ISO_8859_1));
            }
            return new LogEntry(0, fields).stamp();
        }
    }
}
