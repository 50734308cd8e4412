package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend memory of 100k 100-byte strings written through km_w, against the same written to plain Redis. */
class ApplyMemoryIT {
    private static final int KEYS = 100_000;
    private static final int BATCH = 1_000;

    @TempDir
    Path tmp;

    /**
     * The backend's used_memory less its clients' buffers (mem_clients_normal): what the data and its
     * metadata hold, without the query and reply buffers a pipelined batch leaves behind for a while.
     */
    private static long usedMemory(RawConnection conn) {
        String info = (String) conn.callParsed("INFO", "memory");
        long used = -1;
        long clients = -1;
        for (String line : info.split("\r\n")) {
            if (line.startsWith("used_memory:")) {
                used = Long.parseLong(line.substring("used_memory:".length()));
            } else if (line.startsWith("mem_clients_normal:")) {
                clients = Long.parseLong(line.substring("mem_clients_normal:".length()));
            }
        }
        if (used < 0 || clients < 0) {
            throw new IllegalStateException("no used_memory or mem_clients_normal in INFO memory");
        }
        return used - clients;
    }

    /**
     * {@link #usedMemory} once it holds still: a database's key table that grew past a power of two
     * is rehashed incrementally, by later writes and by the server's cron, and holds both tables until
     * it is done (up to 1.5 MB at 100k keys, about 1% of what is measured).
     */
    private static long settledMemory(RawConnection conn) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long last = usedMemory(conn);
        int still = 0;
        while (still < 3 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);   // the cron's own tick: what is being waited for runs at hz 10
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            long now = usedMemory(conn);
            still = now == last ? still + 1 : 0;
            last = now;
        }
        return last;
    }

    /** Writes KEYS keys in pipelined batches; each request built by {@code request(i)}. */
    private static void pipeline(RawConnection conn, java.util.function.IntFunction<byte[]> request) {
        for (int from = 0; from < KEYS; from += BATCH) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = from; i < from + BATCH; i++) {
                out.writeBytes(request.apply(i));
            }
            conn.send(out.toByteArray());
            for (int i = from; i < from + BATCH; i++) {
                byte[] r = conn.readReply();
                if (r[0] == '-') {
                    throw new IllegalStateException(new String(r, StandardCharsets.UTF_8));
                }
            }
        }
    }

    @Test
    void metadataKeepsMemoryWithinOneAndAHalfTimesPlainRedis() {
        byte[] value = "v".repeat(100).getBytes(StandardCharsets.US_ASCII);
        try (Node plain = new Node(tmp.resolve("plain"), "pppppppp"); Node km = new Node(tmp.resolve("km"), "aaaaaaaa")) {
            long plainBefore = settledMemory(plain.conn);
            pipeline(plain.conn, i -> RawConnection.request("SET", String.format("key:%06d", i), value));
            long plainBytes = settledMemory(plain.conn) - plainBefore;

            long kmBefore = settledMemory(km.conn);
            pipeline(km.conn, i -> RawConnection.request(km.kmw(0, 2, km.stamp(), "SET", String.format("key:%06d", i), value)));
            long withLog = settledMemory(km.conn) - kmBefore;
            km.conn.callParsed("FCALL", "km_trim", "0", Node.N, km.origin, KEYS);
            long trimmed = settledMemory(km.conn) - kmBefore;

            double ratioWithLog = (double) withLog / plainBytes;
            double ratio = (double) trimmed / plainBytes;
            System.out.printf("%d x SET key:NNNNNN <100 bytes>: plain %.1f B/key, keymesh %.1f B/key with the log"
                    + " (ratio %.2f), %.1f B/key after km_trim (ratio %.2f)%n", KEYS, (double) plainBytes / KEYS,
                    (double) withLog / KEYS, ratioWithLog, (double) trimmed / KEYS, ratio);
            assertTrue(ratio <= 1.5, "data + metadata vs plain: " + ratio);
        }
    }
}
