// Replication probe for bench/replication-bench.sh, run as a single source file with the keymesh jar
// on the class path (it brings Lettuce and HdrHistogram):
//   java -cp proxy/target/keymesh.jar bench/lib/ReplicationProbe.java lag PORT_A PORT_B RATE SECONDS
//     writes RATE 100-byte SETs per second to A for 5 + SECONDS; every 10 ms one of them is a probe
//     key that a reader polls on B every 0.25 ms; prints the lag from sending the probe to first
//     reading it on B, over the last SECONDS (the first 5 warm this JVM up). Writes owed after a
//     stall of this JVM go out at most 10% above RATE, never in one burst.
//   java -cp proxy/target/keymesh.jar bench/lib/ReplicationProbe.java fill PORT COUNT SIZE
//     writes COUNT distinct keys (fill:0 .. fill:COUNT-1) with SIZE-byte values, pipelined.
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Measures replication lag between two keymesh nodes, or fills a server with fixed-size strings. */
public class ReplicationProbe {
    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "lag" -> lag(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            case "fill" -> fill(Integer.parseInt(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]));
            default -> {
                System.err.println("usage: ReplicationProbe lag PORT_A PORT_B RATE SECONDS | fill PORT COUNT SIZE");
                System.exit(2);
            }
        }
    }

    private static RedisClient client(int port) {
        return RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(30)).build());
    }

    /** How often the reader on B looks for the next probe: the lag's resolution. */
    static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
    /**
     * Probes of the first seconds are not counted: this JVM compiles its hot paths then, and on two
     * cores the compiler threads take the CPU from the nodes for ~100 ms, a stall of the instrument
     * that showed up at the same moment of every run.
     */
    static final int WARMUP_SECONDS = 5;
    /** Probes slower than this are listed on stderr. */
    static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    static void lag(int portA, int portB, int rate, int seconds) throws Exception {
        RedisClient a = client(portA);
        RedisClient b = client(portB);
        StatefulRedisConnection<String, String> writer = a.connect();
        StatefulRedisConnection<String, String> prober = a.connect();
        StatefulRedisConnection<String, String> reader = b.connect();
        RedisAsyncCommands<String, String> w = writer.async();
        RedisAsyncCommands<String, String> p = prober.async();
        RedisCommands<String, String> r = reader.sync();
        String value = "v".repeat(100);
        String run = Long.toString(System.nanoTime(), 36);
        int probes = (WARMUP_SECONDS + seconds) * 100 + 10;
        AtomicLongArray sentNanos = new AtomicLongArray(probes);
        AtomicLong probesSent = new AtomicLong();
        Histogram lagMicros = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        List<String> slow = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread poller = new Thread(() -> {
            int next = 0;
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS + seconds + 30);
            while (System.nanoTime() < giveUp) {
                if (next >= probesSent.get()) {
                    if (next > 0 && next >= probes - 10) {
                        break;
                    }
                    LockSupport.parkNanos(POLL_NANOS);
                    continue;
                }
                if (r.get("lag:" + run + ":" + next) == null) {
                    // polled every POLL_NANOS, not in a tight loop: on a small machine a spinning
                    // reader would take the CPU the nodes under test need (and add the lag it measures)
                    LockSupport.parkNanos(POLL_NANOS);
                } else {
                    long lag = System.nanoTime() - sentNanos.get(next);
                    if (next++ < WARMUP_SECONDS * 100) {
                        continue;   // warm-up: see WARMUP_SECONDS
                    }
                    if (lag > SLOW_NANOS && slow.size() < 200) {
                        slow.add(String.format("%.2fs:%dms", (sentNanos.get(next - 1) - sentNanos.get(0)) / 1e9, lag / 1_000_000));
                    }
                    lagMicros.recordValue(Math.min(TimeUnit.NANOSECONDS.toMicros(lag), lagMicros.getHighestTrackableValue()));
                }
            }
        }, "lag-poller");
        poller.start();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS + seconds);
        long written = 0;
        long burstMax = Math.max(1, rate / 100);
        double tokens = burstMax;
        long lastLoop = start;
        long stallMax = 0;
        long behindMax = 0;
        long nextProbe = start;
        int probe = 0;
        Deque<RedisFuture<String>> inFlight = new ArrayDeque<>();
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            // writes follow the schedule (rate per second since start) through a token bucket that
            // holds 10 ms of writes and refills 10% faster than the rate: after a stall of this JVM
            // (descheduled, compiling) the writes it owes go out at most 10% above the rate, instead
            // of in one burst that the nodes would then drain and this probe would count as lag
            tokens = Math.min(burstMax, tokens + (now - lastLoop) * rate * 1.1 / 1e9);
            if (now - lastLoop > stallMax) {
                stallMax = now - lastLoop;
            }
            lastLoop = now;
            long due = (now - start) * rate / 1_000_000_000L;
            behindMax = Math.max(behindMax, due - written);
            while (written < due && tokens >= 1) {
                inFlight.add(w.set("load:" + (written % 1_000_000), value));
                written++;
                tokens -= 1;
            }
            if (now >= nextProbe && probe < probes - 10) {
                sentNanos.set(probe, System.nanoTime());
                inFlight.add(p.set("lag:" + run + ":" + probe, value));
                probe++;
                probesSent.set(probe);
                nextProbe += TimeUnit.MILLISECONDS.toNanos(10);
            }
            while (inFlight.size() > 2000) {
                inFlight.poll().get(30, TimeUnit.SECONDS);
            }
            while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
                inFlight.poll().get();
            }
            Thread.sleep(0, 200_000);
        }
        for (RedisFuture<String> f : inFlight) {
            f.get(30, TimeUnit.SECONDS);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        poller.join(TimeUnit.SECONDS.toMillis(40));
        System.out.printf("writes_per_s=%.0f probes_sent=%d probes_seen=%d lag_p50_ms=%.2f lag_p99_ms=%.2f lag_max_ms=%.2f"
                        + " writer_stall_max_ms=%.1f writer_behind_max=%d%n",
                written / elapsed, probe, lagMicros.getTotalCount(),
                lagMicros.getValueAtPercentile(50) / 1000.0, lagMicros.getValueAtPercentile(99) / 1000.0,
                lagMicros.getMaxValue() / 1000.0, stallMax / 1e6, behindMax);
        // on stderr, for lining the tail up with node logs: when (since the first probe) each slow probe was sent
        System.err.println("probes slower than " + SLOW_NANOS / 1_000_000 + " ms (sent at: lag): " + String.join(" ", slow));
        writer.close();
        prober.close();
        reader.close();
        a.shutdown();
        b.shutdown();
    }

    static void fill(int port, long count, int size) throws Exception {
        RedisClient c = client(port);
        StatefulRedisConnection<String, String> conn = c.connect();
        RedisAsyncCommands<String, String> w = conn.async();
        String value = "f".repeat(size);
        Deque<RedisFuture<String>> inFlight = new ArrayDeque<>();
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            inFlight.add(w.set("fill:" + i, value));
            if (inFlight.size() >= 1000) {
                while (!inFlight.isEmpty()) {
                    inFlight.poll().get(60, TimeUnit.SECONDS);
                }
            }
        }
        while (!inFlight.isEmpty()) {
            inFlight.poll().get(60, TimeUnit.SECONDS);
        }
        System.out.printf("filled=%d seconds=%.1f%n", count, (System.nanoTime() - start) / 1e9);
        conn.close();
        c.shutdown();
    }
}
