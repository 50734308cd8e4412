package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * A slow peer slows its link and nothing else: with B's link to A throttled far below A's write
 * rate, A keeps accepting writes at normal latency, the link stays up (no reconnect, no resync of
 * any kind), A's small heap and direct memory hold, and B converges once the link is fast again.
 */
class SlowPeerIT extends MeshTest {
    private static final long THROTTLE_BYTES_PER_SECOND = 32 * 1024;
    private static final Duration THROTTLED = Duration.ofSeconds(20);
    private static final int VALUE_BYTES = 1024;
    private static final int KEYS = 5000;

    @Test
    void aThrottledLinkSlowsOnlyItselfWhileTheWritingNodeKeepsAcceptingWritesWithBoundedMemory() throws Exception {
        // A in its own JVM with a small heap and a small direct-memory cap: a sender that buffered
        // the log faster than the link drains it would exhaust one of them within seconds.
        mesh = MeshFixture.builder().nodes(2).external(0, "-Xmx96m", "-XX:MaxDirectMemorySize=24m").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");
        CuttableRelay link = mesh.relay(b, a);   // B pulls A's log through this relay
        long connections = link.connectionsAccepted();
        ReplicationInfo before = ReplicationInfo.of(b);

        Latencies baseline = writeFor(a, Duration.ofSeconds(3), "base:");
        link.throttle(THROTTLE_BYTES_PER_SECOND);
        long forwardedBefore = link.bytesForwarded();
        Latencies throttled = writeFor(a, THROTTLED, "slow:");
        long forwarded = link.bytesForwarded() - forwardedBefore;
        String summary = "unthrottled " + baseline + "; throttled " + throttled + "; link forwarded " + forwarded + " bytes";
        System.out.println("SlowPeerIT: " + summary);

        assertTrue(throttled.bytes() > 5 * forwarded, "A wrote far more than the link carried: " + summary);
        assertTrue(forwarded <= THROTTLE_BYTES_PER_SECOND * (THROTTLED.toSeconds() + 5), "the throttle held: " + summary);
        assertTrue(throttled.p99Millis() <= Math.max(50, 5 * baseline.p99Millis()), "write latency stayed normal: " + summary);
        assertTrue(throttled.maxMillis() < 2000, "no write stalled: " + summary);
        assertTrue(b.info("replication").get("peer0").contains("state=streaming"), b.sync().info("replication"));
        assertEquals(connections, link.connectionsAccepted(), "B's link to A never reconnected while slow");
        ReplicationInfo during = ReplicationInfo.of(b);
        assertEquals(before.partialResyncs(), during.partialResyncs(), "no resync while slow:\n" + during.text());
        assertEquals(0, during.snapshotResyncs(), "no snapshot while slow:\n" + during.text());

        link.throttle(0);
        ContentDigest after = mesh.awaitConverged(Duration.ofSeconds(120));
        assertEquals(1 + Math.min(KEYS, baseline.writes()) + Math.min(KEYS, throttled.writes()), after.size());
        assertEquals(connections, link.connectionsAccepted(), "the link stayed up through catching up");
        assertEquals(0, ReplicationInfo.of(a).snapshotResyncs() + ReplicationInfo.of(b).snapshotResyncs());
        assertTrue(a.isRunning(), "A's 96 MB JVM is alive");
        assertFalse(mesh.externalLogsMention("OutOfMemoryError"), "A never ran out of heap or direct memory");
    }

    /** SETs of {@link #VALUE_BYTES}-byte values over {@link #KEYS} keys on one connection for {@code duration}; each must answer OK. */
    private static Latencies writeFor(MeshNode node, Duration duration, String prefix) {
        StatefulRedisConnection<String, String> c = node.connect();
        try {
            RedisCommands<String, String> r = c.sync();
            String value = "v".repeat(VALUE_BYTES);
            long[] nanos = new long[1 << 20];
            int n = 0;
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end && n < nanos.length) {
                long start = System.nanoTime();
                assertEquals("OK", r.set(prefix + (n % KEYS), value));
                nanos[n++] = System.nanoTime() - start;
            }
            return new Latencies(Arrays.copyOf(nanos, n));
        } finally {
            c.close();
        }
    }

    /** Per-write latencies of one run. */
    private record Latencies(long[] nanos) {
        int writes() {
            return nanos.length;
        }

        long bytes() {
            return (long) nanos.length * VALUE_BYTES;
        }

        long p99Millis() {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[(int) (sorted.length * 0.99)] / 1_000_000;
        }

        long maxMillis() {
            return Arrays.stream(nanos).max().orElse(0) / 1_000_000;
        }

        @Override
        public String toString() {
            return nanos.length + " writes, p99 " + p99Millis() + " ms, max " + maxMillis() + " ms";
        }
    }
}
