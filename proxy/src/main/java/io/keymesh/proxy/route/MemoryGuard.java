package io.keymesh.proxy.route;

import io.keymesh.storage.backend.BackendCheck;
import io.keymesh.storage.backend.BackendMemory;
import io.keymesh.storage.backend.MemoryUse;
import io.keymesh.storage.time.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.link.BusyWait;
import io.keymesh.topology.wire.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Measures the backend's memory for keymesh.maxmemory and INFO memory, and keeps the redis-server
 * from evicting (docs/design/security.md, "Metadata that cannot be lost").
 *
 * <p>On its own thread, every {@value #LIMIT_CHECK_MILLIS} ms while a limit is set (every
 * {@value #SPLIT_MILLIS} ms otherwise, for INFO alone): used_memory (INFO memory) and, with replication
 * on, an estimate of the metadata and log databases (MEMORY USAGE of each key of a database of at
 * most {@value #EXACT_KEYS_MAX} keys, else of {@value #SAMPLE_KEYS} random keys times the key count).
 * User data is the rest, the redis-server's own overhead included, as Redis' maxmemory counts it. Each
 * reading goes to {@link BackendStatus#memory}, which the dispatcher reads per command. A maxmemory
 * policy other than noeviction found on the server (set behind keymesh's back) is put back at once,
 * and on a managed server so is maxmemory 0.
 */
public final class MemoryGuard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemoryGuard.class);
    /** Redis' reply to a denyoom command over maxmemory, without the leading '-'. */
    public static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
    /** Redis' reply to an EXEC of queued denyoom commands over maxmemory; the transaction is discarded. */
    public static final String EXECABORT = "EXECABORT Transaction discarded because of: " + OOM;
    static final long LIMIT_CHECK_MILLIS = 100;
    static final long SPLIT_MILLIS = 1000;
    static final int EXACT_KEYS_MAX = 64;
    static final int SAMPLE_KEYS = 16;

    private final BackendAccess backend;
    private final BackendStatus status;
    private final long limitBytes;
    private final int userDatabases;
    private final boolean replicating;
    private final boolean managed;
    private final Thread thread;
    private volatile boolean closed;
    private long splitAtNanos;
    private long metadataBytes;
    private long logBytes;
    private final TimeSource time;
    private boolean limitWarned;

    /**
     * @param limitBytes    keymesh.maxmemory (0: none; readings still feed INFO memory)
     * @param userDatabases N: metadata in databases N .. 2N-1, the log in 2N (replication on)
     * @param managed       true when keymesh owns the server's config (it may reset maxmemory too)
     */
    public MemoryGuard(BackendAccess backend, BackendStatus status, long limitBytes, int userDatabases,
                       boolean replicating, boolean managed, TimeSource time) {
        this.time = time;
        this.backend = backend;
        this.status = status;
        this.limitBytes = limitBytes;
        this.userDatabases = userDatabases;
        this.replicating = replicating;
        this.managed = managed;
        this.thread = new Thread(this::loop, "keymesh-memory");
        this.thread.setDaemon(true);
    }

    /** Reads the denyoom flags and a first reading on the calling thread (before clients come), then watches. */
    public void start() throws IOException {
        try (BackendClient c = open()) {
            status.denyOom(denyOomCommands(c.call("COMMAND")));
            measure(c);
        }
        thread.start();
    }

    private BackendClient open() throws IOException {
        return backend.open(0, new BusyWait("memory watch").whileWaiting(() -> !closed));
    }

    private void loop() {
        boolean warned = false;
        while (!closed) {
            try (BackendClient c = open()) {
                while (!closed) {
                    sleep(limitBytes > 0 ? LIMIT_CHECK_MILLIS : SPLIT_MILLIS);
                    measure(c);
                    warned = false;
                }
            } catch (IOException | RuntimeException e) {
                if (!closed && !warned) {
                    warned = true;
                    log.warn("memory watch cannot read the backend (will retry; the last reading stands): {}", e.toString());
                }
                sleep(SPLIT_MILLIS);
            }
        }
    }

    /** One reading: used memory, the metadata/log split when due, and the eviction settings. */
    void measure(BackendClient c) throws IOException {
        Map<String, String> memory = BackendCheck.parseInfo(text(c.ok(List.of("INFO", "memory"))));
        keepSafe(c, memory);
        long used = Long.parseLong(memory.getOrDefault("used_memory", "0"));
        long now = time.monotonicNanos();
        if (replicating && (limitBytes > 0 || splitAtNanos == 0 || now - splitAtNanos >= SPLIT_MILLIS * 1_000_000L)) {
            splitAtNanos = now;         // with a limit, every reading: the log shrinks by seconds as peers acknowledge
            split(c);
        }
        MemoryUse reading = new MemoryUse(used, metadataBytes, logBytes, limitBytes);
        boolean wasOver = status.memory().over();
        status.memory(reading);
        if (reading.over() != wasOver) {
            log.info("user data {} keymesh.maxmemory ({} of {} bytes; metadata {}, log {}): {}",
                    reading.over() ? "is over" : "is back under", reading.userBytes(), limitBytes, metadataBytes,
                    logBytes, reading.over() ? "denyoom commands get -OOM" : "writes accepted again");
        }
    }

    /** Puts back noeviction (and, on a managed server, maxmemory 0) when something changed them. */
    private void keepSafe(BackendClient c, Map<String, String> memory) throws IOException {
        String policy = memory.get("maxmemory_policy");
        if (policy != null && !BackendMemory.safePolicy(policy)) {
            Object reply = c.call("CONFIG", "SET", "maxmemory-policy", BackendMemory.NO_EVICTION);
            log.warn("the redis-server's maxmemory-policy was {} (set behind keymesh's back); {}: {}", policy,
                    reply instanceof RespError e ? "could not put back " + BackendMemory.NO_EVICTION + " (" + e.message() + ")"
                            : "put back " + BackendMemory.NO_EVICTION, BackendMemory.WHY_NO_EVICTION);
        }
        String limit = memory.getOrDefault("maxmemory", "0");
        if (!limit.equals("0")) {
            if (managed) {
                c.call("CONFIG", "SET", "maxmemory", "0");
                log.warn("the redis-server's maxmemory was {} (set behind keymesh's back); put back 0: {}", limit,
                        BackendMemory.WHY_NO_SERVER_LIMIT);
            } else if (!limitWarned) {
                limitWarned = true;
                log.warn("the redis-server has maxmemory {}: {}", limit, BackendMemory.WHY_NO_SERVER_LIMIT);
            }
        }
    }

    /** Estimates the metadata databases (N .. 2N-1) and the log database (2N) from their keys. */
    private void split(BackendClient c) throws IOException {
        Map<String, String> keyspace = BackendCheck.parseInfo(text(c.ok(List.of("INFO", "keyspace"))));
        long metadata = 0;
        long logDb = 0;
        for (Map.Entry<String, String> e : keyspace.entrySet()) {
            int db = database(e.getKey());
            if (db < userDatabases || db > 2 * userDatabases) {
                continue;
            }
            long bytes = databaseBytes(c, db, keys(e.getValue()));
            if (db == 2 * userDatabases) {
                logDb = bytes;
            } else {
                metadata += bytes;
            }
        }
        c.ok(List.of("SELECT", "0"));
        metadataBytes = metadata;
        logBytes = logDb;
    }

    /** MEMORY USAGE of every key of a small database, or the mean of a sample times the key count. */
    private static long databaseBytes(BackendClient c, int db, long keys) throws IOException {
        c.ok(List.of("SELECT", Integer.toString(db)));
        if (keys <= EXACT_KEYS_MAX) {
            long sum = 0;
            String cursor = "0";
            do {
                List<?> page = (List<?>) c.ok(List.of("SCAN", cursor, "COUNT", Integer.toString(EXACT_KEYS_MAX)));
                cursor = text(page.get(0));
                for (Object key : (List<?>) page.get(1)) {
                    sum += usage(c, (byte[]) key);
                }
            } while (!cursor.equals("0"));
            return sum;
        }
        long sampled = 0;
        int found = 0;
        for (int i = 0; i < SAMPLE_KEYS; i++) {
            if (c.ok(List.of("RANDOMKEY")) instanceof byte[] key) {
                sampled += usage(c, key);
                found++;
            }
        }
        return found == 0 ? 0 : sampled / found * keys;
    }

    private static long usage(BackendClient c, byte[] key) throws IOException {
        Object bytes = c.ok(List.of("MEMORY", "USAGE", key));
        return bytes instanceof Long l ? l : 0;     // nil: the key expired meanwhile
    }

    /**
     * The names Redis flags denyoom in a COMMAND reply, in command table form: "SET", "CONFIG|SET"
     * (Redis 7 lists subcommands as "config|set" in each command's tenth field).
     */
    static Set<String> denyOomCommands(Object commandReply) {
        Set<String> names = new HashSet<>();
        if (commandReply instanceof List<?> commands) {
            collectDenyOom(commands, names);
        }
        return names;
    }

    private static void collectDenyOom(List<?> commands, Set<String> names) {
        for (Object command : commands) {
            if (!(command instanceof List<?> fields) || fields.size() < 3) {
                continue;
            }
            if (fields.get(2) instanceof List<?> flags && flags.stream().anyMatch(f -> text(f).equals("denyoom"))) {
                names.add(text(fields.get(0)).toUpperCase(Locale.ROOT));
            }
            if (fields.size() > 9 && fields.get(9) instanceof List<?> subcommands) {
                collectDenyOom(subcommands, names);
            }
        }
    }

    private static int database(String field) {
        if (!field.startsWith("db")) {
            return -1;
        }
        try {
            return Integer.parseInt(field.substring(2));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The key count of an INFO keyspace value, "keys=12,expires=0,avg_ttl=0". */
    private static long keys(String value) {
        for (String part : value.split(",")) {
            if (part.startsWith("keys=")) {
                return Long.parseLong(part.substring(5));
            }
        }
        return 0;
    }

    private static String text(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
