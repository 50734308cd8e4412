package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Links that break, nodes that restart and nodes that fall behind the log all end identical, by the cheapest resync that covers them. */
class ResyncIT extends MeshTest {
    /** Keys of ~1 KB that A writes while cut off in the snapshot test: more data than either node's heap. */
    private static final int BULK_KEYS = 80_000;
    /** The value of every after:N key {@link #writePastLogRetention} writes: 1000 bytes. */
    private static final String AFTER_VALUE = "x".repeat(1000);

    @Test
    void linksCutRepeatedlyUnderThreeConcurrentWritersEndIdenticalWithPartialResyncs() throws Exception {
        mesh = MeshFixture.start(3);
        mesh.node(0).sync().set("warm", "up");
        mesh.awaitConverged(CONVERGE);
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, AtomicLong> increments = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (MeshNode node : mesh.nodes()) {
            threads.add(start("writer-" + node.name(), failures, () -> write(node, running, increments)));
        }
        threads.add(start("chaos", failures, () -> {
            Random random = new Random(7);
            List<MeshNode> nodes = mesh.nodes();
            while (running.get()) {
                MeshNode x = nodes.get(random.nextInt(3));
                MeshNode y = nodes.get((nodes.indexOf(x) + 1 + random.nextInt(2)) % 3);
                mesh.cut(x, y);
                Await.sleep(200 + random.nextInt(300));
                mesh.heal(x, y);
                Await.sleep(100 + random.nextInt(300));
            }
        }));
        Await.sleep(10_000);
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertEquals(List.of(), failures, "writers and chaos ran without client errors");
        mesh.healAll();

        mesh.awaitConverged(Duration.ofSeconds(60));
        for (Map.Entry<String, AtomicLong> e : increments.entrySet()) {
            for (MeshNode n : mesh.nodes()) {
                assertEquals(String.valueOf(e.getValue().get()), n.sync().get(e.getKey()),
                        "every INCR on every node counts: " + e.getKey() + " on " + n.name());
            }
        }
        long partial = mesh.nodes().stream().mapToLong(n -> ReplicationInfo.of(n).partialResyncs()).sum();
        assertTrue(partial > 0, "broken links resumed by partial resync; INFO replication of A:\n"
                + ReplicationInfo.of(mesh.node(0)).text());
    }

    private static void write(MeshNode node, AtomicBoolean running, Map<String, AtomicLong> increments) {
        StatefulRedisConnection<String, String> c = node.connect();
        RedisCommands<String, String> r = c.sync();
        Random random = new Random(node.name().hashCode());
        int i = 0;
        while (running.get()) {
            int k = random.nextInt(50);
            switch (i++ % 5) {
                case 0 -> r.set("s:" + k, node.name() + i);
                case 1 -> {
                    String counter = "c:" + (k % 5);
                    r.incr(counter);
                    increments.computeIfAbsent(counter, x -> new AtomicLong()).incrementAndGet();
                }
                case 2 -> r.hset("h:" + (k % 5), "f" + k, node.name() + i);
                case 3 -> r.sadd("set:" + (k % 5), "e" + k);
                default -> {
                    if (k % 3 == 0) {
                        r.del("s:" + k);
                    } else {
                        r.srem("set:" + (k % 5), "e" + k);
                    }
                }
            }
        }
        c.close();
    }

    private static Thread start(String name, List<Throwable> failures, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        }, name);
        t.start();
        return t;
    }

    @Test
    void aLinkThatStreamedReconnectsAtTheMinimumDelayAfterEveryShortBlip() {
        // the reconnect delay doubles while connections fail (100 ms up to 5 s), and must start over
        // once a connection streams: before, it only did when a session ended without an error, which
        // never happens, so each blip cost twice the one before (0.4, 0.8, 1.6, 3.2, 5 s)
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("warm", "up");
        Await.value(CONVERGE, b, "warm", "up");
        CuttableRelay link = mesh.relay(b, a);
        List<Long> resumeMillis = new ArrayList<>();
        for (int blip = 0; blip < 6; blip++) {
            link.cut();
            Await.sleep(300);
            link.heal();
            long healed = System.nanoTime();
            a.sync().set("blip", Integer.toString(blip));
            Await.value(CONVERGE, b, "blip", Integer.toString(blip));
            resumeMillis.add((System.nanoTime() - healed) / 1_000_000);
        }
        for (long millis : resumeMillis.subList(3, 6)) {
            assertTrue(millis < 1500, "B's link resumed soon after each blip, took (ms) " + resumeMillis);
        }
    }

    @Test
    void restartedNodeCatchesUpByPartialResync() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        for (int i = 0; i < 300; i++) {
            a.sync().set("before:" + i, "v" + i);
        }
        mesh.awaitConverged(CONVERGE);
        mesh.stop(b);
        for (int i = 0; i < 300; i++) {
            a.sync().set("while-down:" + i, "v" + i);
        }
        a.sync().incrby("counter", 7);
        mesh.start(b);
        ContentDigest after = mesh.awaitConverged(CONVERGE);
        assertEquals(601, after.size());
        assertEquals("7", b.sync().get("counter"));
        long partial = ReplicationInfo.of(a).partialResyncs() + ReplicationInfo.of(b).partialResyncs();
        long snapshots = ReplicationInfo.of(a).snapshotResyncs() + ReplicationInfo.of(b).snapshotResyncs();
        assertTrue(partial > 0, "the restarted node resumed from its position:\n" + ReplicationInfo.of(b).text());
        assertEquals(0, snapshots, "no snapshot was needed:\n" + ReplicationInfo.of(b).text());
    }

    @Test
    void nodeBehindLogRetentionRejoinsBySnapshotMergeWithBoundedMemoryAndKeepsItsOwnWrites() throws Exception {
        // Both nodes run in their own JVM with a 64 MB heap, and A writes ~80 MB while cut from B:
        // a node that buffered the dataset for the snapshot would run out of heap.
        mesh = pairWithSmallLogs().external(0, "-Xmx64m").external(1, "-Xmx64m").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("shared", "before");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        String value = "x".repeat(1000);
        RedisAsyncCommands<String, String> async = a.connection().async();
        List<RedisFuture<String>> pending = new ArrayList<>();
        for (int i = 0; i < BULK_KEYS; i++) {
            pending.add(async.set("bulk:" + i, value + i));
            if (pending.size() == 1000) {
                for (RedisFuture<String> f : pending) {
                    assertEquals("OK", f.get(30, TimeUnit.SECONDS));
                }
                pending.clear();
            }
        }
        for (RedisFuture<String> f : pending) {
            assertEquals("OK", f.get(30, TimeUnit.SECONDS));
        }
        b.sync().set("b-only", "written on B while cut");
        b.sync().set("shared", "after, on B");
        Await.sleep(3000);   // retention housekeeping trims A's log past B's position

        List<String> loadingReplies = new CopyOnWriteArrayList<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            StatefulRedisConnection<String, String> ca = a.connect();
            StatefulRedisConnection<String, String> cb = b.connect();
            while (reading.get()) {
                for (StatefulRedisConnection<String, String> c : List.of(ca, cb)) {
                    try {
                        c.sync().get("bulk:1");
                    } catch (RuntimeException e) {
                        loadingReplies.add(String.valueOf(e.getMessage()));
                    }
                }
                Await.sleep(20);
            }
        }, "reader");
        reader.start();
        mesh.heal(a, b);
        ContentDigest merged;
        try {
            merged = mesh.awaitConverged(Duration.ofSeconds(180));
        } finally {
            reading.set(false);
            reader.join(10_000);
        }
        assertEquals(BULK_KEYS + 2, merged.size());
        assertEquals("written on B while cut", a.sync().get("b-only"), "B's own writes survive the snapshot merge");
        assertEquals("after, on B", a.sync().get("shared"));
        assertEquals(List.of(), loadingReplies, "clients of either node got only answers during the snapshot");
        assertTrue(a.isRunning() && b.isRunning(), "both 64 MB JVMs are alive");
        assertFalse(mesh.externalLogsMention("OutOfMemoryError"), "no node ran out of heap");
        long snapshots = ReplicationInfo.of(a).snapshotResyncs() + ReplicationInfo.of(b).snapshotResyncs();
        assertTrue(snapshots > 0, "B was behind retention and got a snapshot:\n" + ReplicationInfo.of(b).text());
    }

    @Test
    void snapshotCarriesAFlushThatTheReceiverNeverReadInTheLog() {
        mesh = pairWithSmallLogs().start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("shared", "before the flush");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        b.sync().set("b-before-flush", "written on B while cut, before A's FLUSHDB");
        Await.sleep(50);
        assertEquals("OK", a.sync().flushdb());
        writePastLogRetention(a);                    // A's log drops the FLUSHDB
        Await.sleep(3000);   // retention housekeeping trims A's log past B's position
        mesh.heal(a, b);
        ContentDigest merged = mesh.awaitConverged(CONVERGE);
        // the flush reached B only inside A's snapshot: B's older keys went with it, as on A
        assertEquals(2000, merged.size());
        assertEquals(null, b.sync().get("shared"));
        assertEquals(null, b.sync().get("b-before-flush"));
        long snapshots = ReplicationInfo.of(b).snapshotResyncs();
        assertTrue(snapshots > 0, "B was behind retention and got a snapshot:\n" + ReplicationInfo.of(b).text());
    }

    @Test
    void aSnapshotOfKeysOfEveryKindPassesTheReceiversChecks() {
        // what km_dumpkey ships for keys written member by member, counters, lists, streams with a
        // group and pending entries, expiries and tombstones: the receiver's SnapshotChecks take it all
        mesh = pairWithSmallLogs().start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("warm", "up");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        var s = a.sync();
        s.hset("h", "f1", "v1");
        s.hincrby("h", "n", 5);
        s.hdel("h", "f1");
        s.sadd("s", "m1", "m2");
        s.srem("s", "m1");
        s.zadd("z", 1.5, "a");
        s.zincrby("z", 2, "b");
        s.rpush("l", "x", "y");
        s.lpush("l", "w");
        s.lpop("l");
        s.incrby("c", 7);
        s.setex("e", 3600, "expiring");
        s.set("gone", "x");
        s.del("gone");
        s.xadd("st", java.util.Map.of("f", "1"));
        s.xgroupCreate(io.lettuce.core.XReadArgs.StreamOffset.from("st", "0-0"), "g1");
        s.xreadgroup(io.lettuce.core.Consumer.from("g1", "c1"), io.lettuce.core.XReadArgs.StreamOffset.lastConsumed("st"));
        s.xadd("st", java.util.Map.of("f", "2"));
        String value = "x".repeat(1000);
        for (int i = 0; i < 2000; i++) {
            s.set("after:" + i, value);              // 2 MB: A's log keeps 1 MB, B falls behind it
        }
        Await.sleep(3000);   // retention housekeeping trims A's log past B's position
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        ReplicationInfo info = ReplicationInfo.of(b);
        assertTrue(info.snapshotResyncs() > 0, "B got a snapshot:\n" + info.text());
        assertEquals(1L, b.sync().xpending("st", "g1").getCount(), "the group's pending entry came with the snapshot");
    }

    @Test
    void aSnapshotSendsEachKeyOnceTombstonesIncluded() {
        mesh = pairWithSmallLogs().start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("warm", "up");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        writePastLogRetention(a);                    // B falls behind A's log
        for (int i = 0; i < 100; i++) {
            a.sync().del("after:" + i);              // 100 tombstones: metadata without a key
        }
        Await.sleep(3000);   // retention housekeeping trims A's log past B's position
        mesh.heal(a, b);
        ContentDigest merged = mesh.awaitConverged(CONVERGE);
        assertEquals(1901, merged.size());
        ReplicationInfo info = ReplicationInfo.of(b);
        assertEquals(1, info.snapshotResyncs(), "B got one snapshot:\n" + info.text());
        // 1901 keys and 100 tombstones, each once (each key was sent from its data and again from its metadata)
        assertTrue(info.text().contains("snapshot_keys=2001,"), "snapshot of 2001 keys:\n" + info.text());
        // progress: A announced its 2001 keys (the metadata database's count) and B merged them all
        assertTrue(info.text().contains("snapshot_running=0,snapshot_keys_done=2001,snapshot_keys_total=2001,"),
                "progress of 2001 of 2001 keys:\n" + info.text());
        long bytesDone = Long.parseLong(field(info.text(), "snapshot_bytes_done"));
        // names, DUMP payloads (the repetitive values compress) and metadata: more than the names alone
        assertTrue(bytesDone > 2001L * "after:0000".length(), "the payload counted: " + bytesDone);
        assertEquals(Long.toString(bytesDone), field(info.text(), "snapshot_bytes_total"), "done: total is what was merged");
        assertEquals("0", field(info.text(), "snapshot_eta_sec"), "no time left once merged");
    }

    @Test
    void aRunningSnapshotShowsItsProgressInInfoAndMetrics() throws Exception {
        int httpB;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            httpB = s.getLocalPort();
        }
        // B in a JVM of its own, to read its log
        mesh = pairWithSmallLogs().setting(1, "keymesh.http.port", httpB).external(1).start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("warm", "up");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        writePastLogRetention(a);                    // B falls behind A's log
        Await.sleep(3000);   // retention housekeeping trims A's log past B's position
        CuttableRelay fromA = mesh.relay(b, a);
        fromA.throttle(15_000);                      // ~150 KB of snapshot: seconds to watch it
        mesh.heal(a, b);
        Await.until(java.time.Duration.ofSeconds(20), "B merges A's snapshot",
                () -> {
                    String t = ReplicationInfo.of(b).text();
                    return t.contains("snapshot_running=1,") && Long.parseLong(field(t, "snapshot_keys_done")) > 0;
                }, () -> ReplicationInfo.of(b).text());
        String info = ReplicationInfo.of(b).text();
        long done = Long.parseLong(field(info, "snapshot_keys_done"));
        assertTrue(done > 0 && done < 2001, "part of the keys merged: " + info);
        assertEquals("2001", field(info, "snapshot_keys_total"), "A counted its keys as the snapshot began");
        assertTrue(Long.parseLong(field(info, "snapshot_bytes_total")) >= Long.parseLong(field(info, "snapshot_bytes_done")));
        assertTrue(Long.parseLong(field(info, "snapshot_eta_sec")) >= 0, "an ETA once keys flow: " + info);

        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + httpB + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("keymesh_link_snapshot_in_progress{peer=") , metrics);
        assertTrue(java.util.regex.Pattern.compile("(?m)^keymesh_link_snapshot_keys_total\\{peer=\"[^\"]+\"\\} 2001\\.0$")
                .matcher(metrics).find(), "total in /metrics:\n" + metrics);
        assertTrue(java.util.regex.Pattern.compile("(?m)^keymesh_link_snapshot_in_progress\\{peer=\"[^\"]+\"\\} 1\\.0$")
                .matcher(metrics).find(), "in progress in /metrics:\n" + metrics);

        java.util.regex.Pattern progressLine = java.util.regex.Pattern.compile(
                "\\): snapshot \\d+/2001 keys, \\d+/\\d+ bytes, \\d+ keys/s, eta \\d+ s");
        Await.until(java.time.Duration.ofSeconds(20), "B logs the snapshot's progress every 5 s",
                () -> logsMatch(progressLine), () -> "no progress line yet");
        fromA.throttle(0);
        mesh.awaitConverged(CONVERGE);
        Await.until(java.time.Duration.ofSeconds(10), "the merge ended",
                () -> ReplicationInfo.of(b).text().contains("snapshot_running=0,snapshot_keys_done=2001,snapshot_keys_total=2001,"),
                () -> ReplicationInfo.of(b).text());
    }

    @Test
    void aReplicaLoadingASnapshotShowsRedisSyncFieldsWithItsProgress() {
        mesh = MeshFixture.builder().nodes(1).replicas(1).setting("keymesh.replication.log-retention-bytes", "1m").start();
        MeshNode a = mesh.node(0);
        MeshNode r = mesh.replica(0);
        a.sync().set("warm", "up");
        Await.value(CONVERGE, r, "warm", "up");
        mesh.cut(r, a);
        writePastLogRetention(a);                    // the replica falls behind A's log
        Await.sleep(3000);   // retention housekeeping trims A's log past the replica's position
        CuttableRelay toA = mesh.relay(r, a);
        toA.throttle(15_000);
        mesh.heal(r, a);
        Await.until(java.time.Duration.ofSeconds(30), "the replica loads A's snapshot",
                () -> {
                    String t = r.sync().info("replication");
                    return t.contains("master_sync_in_progress:1") && Long.parseLong(infoField(t, "keymesh_sync_keys_done")) > 0;
                }, () -> r.sync().info("replication"));
        String info = r.sync().info("replication");
        long done = Long.parseLong(infoField(info, "keymesh_sync_keys_done"));
        assertTrue(done > 0 && done < 2001, "part of the keys loaded: " + info);
        assertEquals("2001", infoField(info, "keymesh_sync_keys_total"), info);
        long total = Long.parseLong(infoField(info, "master_sync_total_bytes"));
        long read = Long.parseLong(infoField(info, "master_sync_read_bytes"));
        assertTrue(read > 0 && total >= read, info);
        assertEquals(total - read, Long.parseLong(infoField(info, "master_sync_left_bytes")), info);
        assertTrue(infoField(info, "master_sync_perc").matches("\\d+\\.\\d{2}"), info);

        toA.throttle(0);
        Await.value(CONVERGE, r, "after:1999", AFTER_VALUE);
        Await.until(java.time.Duration.ofSeconds(10), "the load ended",
                () -> {
                    String t = r.sync().info("replication");
                    return t.contains("master_sync_in_progress:0") && infoField(t, "keymesh_sync_keys_done").equals("2001")
                            && infoField(t, "keymesh_sync_eta_seconds").equals("0") && !t.contains("master_sync_total_bytes");
                }, () -> r.sync().info("replication"));
    }

    /** Whether an external node's log has a line matching {@code pattern}. */
    private boolean logsMatch(java.util.regex.Pattern pattern) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(mesh.tempDir())) {
            for (java.nio.file.Path p : files.filter(f -> f.getFileName().toString().startsWith("keymesh-")
                    && f.getFileName().toString().endsWith(".log")).toList()) {
                if (pattern.matcher(java.nio.file.Files.readString(p)).find()) {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The value of {@code name:} on its own INFO line. */
    private static String infoField(String info, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + ":(.*?)\r?$").matcher(info);
        assertTrue(m.find(), name + " in:\n" + info);
        return m.group(1);
    }

    /** The value of {@code name=} in an INFO peer line. */
    private static String field(String info, String name) {
        int at = info.indexOf(name + "=");
        assertTrue(at >= 0, name + " in:\n" + info);
        int end = at + name.length() + 1;
        while (end < info.length() && info.charAt(end) != ',' && info.charAt(end) != '\r') {
            end++;
        }
        return info.substring(at + name.length() + 1, end);
    }

    /** Two nodes whose logs keep 1 MB: a node cut off while the other writes more falls behind retention. */
    /** Writes after:0 to after:1999 as {@link #AFTER_VALUE} on {@code a}: 2 MB, twice the 1 MB of log retention of these tests. */
    private static void writePastLogRetention(MeshNode a) {
        for (int i = 0; i < 2000; i++) {
            a.sync().set("after:" + i, AFTER_VALUE);
        }
    }

    private static MeshFixture.Builder pairWithSmallLogs() {
        return MeshFixture.builder().nodes(2).setting("keymesh.replication.log-retention-bytes", "1m");
    }
}
