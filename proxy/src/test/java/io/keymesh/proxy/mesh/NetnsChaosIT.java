package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.Teardown;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Three primaries, each with its redis-server in a network namespace of its own, joined by veth
 * pairs with 50 ms of delay and 1 % loss ({@link NetnsLab}: netem, or a userspace relay and an
 * nftables drop where the kernel has no netem; the output says which). Three writers, one per node,
 * write while mesh links are set down and up again; afterwards every node has the same content
 * digest and every acknowledged write is there, as docs/design/merge.md says: unique keys and set
 * members all kept, every acknowledged increment counted, the shared register holding one of the
 * values written. Runs as root with ip and tc; otherwise it says it was skipped.
 */
class NetnsChaosIT {
    private static final int NODES = 3;
    private static final int DELAY_MILLIS = 50;
    private static final int LOSS_PERCENT = 1;
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    @Test
    void namespacedPrimariesKeepEveryAcknowledgedWriteThroughLinkCutsUnderDelayAndLoss() throws Exception {
        String unavailable = NetnsLab.unavailableReason();
        if (unavailable != null) {
            System.out.println("NetnsChaosIT SKIPPED: " + unavailable);
        }
        Assumptions.assumeTrue(unavailable == null, unavailable);

        Path root = Files.createTempDirectory("keymesh-netns-");
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1).build();
        List<MeshNode> nodes = new ArrayList<>();
        NetnsLab lab = new NetnsLab(NODES);
        try {
            lab.impair(DELAY_MILLIS, LOSS_PERCENT);
            System.out.println("NetnsChaosIT mechanism: " + lab.mechanism());
            for (int i = 0; i < NODES; i++) {
                String name = String.valueOf((char) ('A' + i));
                Map<String, Object> s = new HashMap<>();
                s.put("keymesh.port", NetnsLab.NODE_PORT);
                s.put("keymesh.bind", "0.0.0.0");
                s.put("keymesh.advertise", lab.controlAddress(i) + ":" + NetnsLab.NODE_PORT);
                s.put("keymesh.io-threads", 1);
                s.put("keymesh.data-dir", root.resolve(name).toString());
                s.put("keymesh.cluster-secret", MeshFixture.SECRET);
                s.put("keymesh.storage.redis.databases", MeshFixture.DATABASES);
                s.put("keymesh.peers", lab.peers(i));
                nodes.add(new MeshNode(name, root.resolve(name), s, resources, List.of("-Xmx256m"), 0,
                        lab.controlAddress(i), lab.launcher(i)));
            }
            startAll(nodes);
            MeshNode a = nodes.get(0);
            MeshNode b = nodes.get(1);
            MeshNode c = nodes.get(2);

            long delayed = replicationMillis(a, b);
            System.out.println("NetnsChaosIT: a write on A was readable on B after " + delayed + " ms");
            assertTrue(delayed >= DELAY_MILLIS, "the links add " + DELAY_MILLIS + " ms, yet B read A's write after "
                    + delayed + " ms");

            List<Writer> writers = new ArrayList<>();
            for (int w = 0; w < NODES; w++) {
                writers.add(new Writer(w, nodes.get(w).connect().sync()));
            }
            writers.forEach(Writer::start);
            Await.sleep(2000);
            lab.cut(0, 1);
            b.sync().set("cut:a-b", "from-b");
            Await.value(Duration.ofSeconds(20), c, "cut:a-b", "from-b");
            Await.sleep(1000);
            assertNull(a.sync().get("cut:a-b"), "A reads B's write although their link is down");
            lab.cut(0, 2);
            Await.sleep(3000);
            lab.heal(0, 1);
            lab.cut(1, 2);
            Await.sleep(3000);
            lab.heal(0, 2);
            lab.heal(1, 2);
            Await.sleep(2000);
            for (Writer w : writers) {
                w.finish();
            }

            long started = System.nanoTime();
            ContentDigest digest = Await.converged(CONVERGE, nodes);
            System.out.printf("NetnsChaosIT: converged %d ms after the last heal and write; %d keys; writes acknowledged %s%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), digest.size(),
                    writers.stream().map(w -> w.acked.size()).toList());
            assertEquals("from-b", a.sync().get("cut:a-b"), "B's write reached A once their link was up again");
            checkAcknowledgedWrites(nodes, writers);
        } finally {
            for (MeshNode n : nodes) {
                n.closeClients();
            }
            for (MeshNode n : nodes) {
                n.stop();
            }
            lab.close();
            resources.shutdown(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            Teardown.deleteTree(root);
        }
    }

    /** Every node holds every acknowledged write: the digests are equal, so the keys are read on each node once. */
    private static void checkAcknowledgedWrites(List<MeshNode> nodes, List<Writer> writers) {
        long increments = 0;
        Set<String> members = new HashSet<>();
        Set<String> registerValues = new HashSet<>();
        for (Writer w : writers) {
            assertEquals(List.of(), w.failures, "writes refused by writer " + w.index + "'s own node");
            increments += w.increments.get();
            registerValues.addAll(w.registerValues);
            for (Long i : w.acked) {
                members.add(w.index + ":" + i);
            }
        }
        for (MeshNode n : nodes) {
            RedisCommands<String, String> sync = n.sync();
            for (Writer w : writers) {
                List<String> keys = w.acked.stream().map(i -> w.key(i)).toList();
                for (int from = 0; from < keys.size(); from += 500) {
                    List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
                    List<io.lettuce.core.KeyValue<String, String>> values = sync.mget(chunk.toArray(new String[0]));
                    for (io.lettuce.core.KeyValue<String, String> kv : values) {
                        assertTrue(kv.hasValue(), "acknowledged " + kv.getKey() + " is missing on " + n.name());
                        assertEquals("v" + kv.getKey().substring(kv.getKey().lastIndexOf(':') + 1), kv.getValue(),
                                kv.getKey() + " on " + n.name());
                    }
                }
            }
            assertEquals(Long.toString(increments), sync.get("chaos:counter"),
                    "chaos:counter on " + n.name() + " counts every acknowledged INCR of every writer");
            Set<String> present = sync.smembers("chaos:set");
            for (String m : members) {
                assertTrue(present.contains(m), "acknowledged SADD of " + m + " is missing on " + n.name());
            }
            String register = sync.get("chaos:register");
            assertTrue(registerValues.contains(register), "chaos:register on " + n.name() + " is " + register
                    + ", not a value any writer set");
        }
    }

    private static void startAll(List<MeshNode> nodes) throws InterruptedException {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (MeshNode n : nodes) {
            Thread t = new Thread(() -> {
                try {
                    n.start();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "start-" + n.name());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("a namespaced node did not start");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** How long after a write on {@code from} it is readable on {@code to}. */
    private static long replicationMillis(MeshNode from, MeshNode to) {
        Await.value(CONVERGE, to, "warm", null);
        from.sync().set("warm", "1");
        Await.value(CONVERGE, to, "warm", "1");
        long started = System.nanoTime();
        from.sync().set("probe", "1");
        Await.value(CONVERGE, to, "probe", "1");
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    /** Writes to one node until finished: its own keys, the shared counter, set and register; records what was acknowledged. */
    private static final class Writer extends Thread {
        final int index;
        final RedisCommands<String, String> sync;
        final List<Long> acked = new CopyOnWriteArrayList<>();
        final AtomicLong increments = new AtomicLong();
        final Set<String> registerValues = ConcurrentHashMap.newKeySet();
        final List<String> failures = new CopyOnWriteArrayList<>();
        private volatile boolean finished;

        Writer(int index, RedisCommands<String, String> sync) {
            super("writer-" + index);
            this.index = index;
            this.sync = sync;
        }

        String key(long i) {
            return "w" + index + ":" + i;
        }

        @Override
        public void run() {
            for (long i = 1; !finished; i++) {
                try {
                    String value = index + ":" + i;
                    registerValues.add(value);         // before the SET: an unacknowledged SET may still win
                    if ("OK".equals(sync.set(key(i), "v" + i))) {
                        acked.add(i);
                    }
                    sync.incr("chaos:counter");
                    increments.incrementAndGet();
                    sync.sadd("chaos:set", value);
                    sync.set("chaos:register", value);
                    Await.sleep(5);
                } catch (RuntimeException e) {
                    failures.add(i + ": " + e);
                }
            }
        }

        void finish() throws InterruptedException {
            finished = true;
            join(30_000);
        }
    }
}
