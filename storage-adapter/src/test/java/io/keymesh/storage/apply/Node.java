package io.keymesh.storage.apply;

import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** A test node: a managed redis-server with 2N+1 databases, the library loaded, and a raw connection. */
final class Node implements AutoCloseable {
    static final int N = 2;

    final String origin;
    final RedisProcess process;
    final RawConnection conn;
    private long hlc;
    private long highest;   // the largest stamp issued or observed, whatever rewind did

    Node(Path dir, String origin) {
        this.origin = origin;
        process = new RedisProcess(RedisServerSpec.defaults(dir).withDatabases(2 * N + 1).withAppendOnly(false, "no"));
        process.start(Duration.ofSeconds(10));
        conn = new RawConnection(process.socketPath());
        Object r = conn.callParsed("FUNCTION", "LOAD", "REPLACE", ApplyLibrary.source());
        if (!"keymesh".equals(r)) {
            throw new IllegalStateException("library did not load: " + r);
        }
    }

    /** A fresh stamp of this node: 16 hex digits of a counter, then the origin. */
    String stamp() {
        highest = Math.max(highest, ++hlc);
        return String.format("%016x", hlc) + origin;
    }

    /** Moves this node's clock past another stamp (what receiving it does to an HLC). */
    void observe(long logical) {
        hlc = Math.max(hlc, logical);
        highest = Math.max(highest, hlc);
    }

    /**
     * Marks the logs here as the housekeeping does (km_mark): every origin's position, then a clock
     * reading later than every stamp this node issued or observed.
     */
    @SuppressWarnings("unchecked")
    void mark() {
        conn.callParsed("SELECT", 2 * N);
        List<Object> positions = (List<Object>) conn.callParsed(ReplicationLog.readPositions().toArray());
        conn.callParsed("SELECT", 0);
        hlc = Math.max(hlc, ++highest);             // as reading a clock advances it
        conn.callParsed(ApplyCalls.mark(N, String.format("%016x", highest), positions).toArray());
    }

    /** How many remote flushes took each path here: "logged" (keys from the logs), "ahead" (km_flushscan) and "scanned". */
    @SuppressWarnings("unchecked")
    TreeMap<String, Object> flushPaths() {
        conn.callParsed("SELECT", 2 * N);
        TreeMap<String, Object> paths = pairs((List<Object>) conn.callParsed("HGETALL", "km:flushes"));
        conn.callParsed("SELECT", 0);
        return paths;
    }

    long clock() {
        return hlc;
    }

    /** Sets the clock back to {@code logical}: the next stamps are like those a proxy took before an apply raced them. */
    void rewind(long logical) {
        hlc = logical;
    }

    /** Runs a client write through km_w on db 0 (RESP2), returns the raw reply. */
    byte[] w(Object... cmd) {
        return wDb(0, 2, cmd);
    }

    /** km_w on user db {@code db}; like the proxy, the connection has that db SELECTed while it runs. */
    byte[] wDb(int db, int proto, Object... cmd) {
        if (db == 0) {
            return conn.call(kmw(db, proto, stamp(), cmd));
        }
        conn.callParsed("SELECT", db);
        try {
            return conn.call(kmw(db, proto, stamp(), cmd));
        } finally {
            conn.callParsed("SELECT", 0);
        }
    }

    Object[] kmw(int db, int proto, String stamp, Object... cmd) {
        Object[] args = new Object[9 + cmd.length];
        Object[] head = {"FCALL", "km_w", "0", proto, db, N, origin, stamp, "0"};
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(cmd, 0, args, head.length, cmd.length);
        return args;
    }

    /** Plain SETs of {@code keyValues} (key, value, ...) on user db {@code db} as one km_ws call; returns its replies. */
    Object ws(int db, String... keyValues) {
        List<Object> args = new ArrayList<>(List.of("FCALL", "km_ws", "0", N, origin, db));
        for (int i = 0; i < keyValues.length; i += 2) {
            args.add(stamp());
            args.add(i % 4 == 0 ? "" : packed((String) args.get(args.size() - 1)));   // both forms the library takes
            args.add(keyValues[i]);
            args.add(keyValues[i + 1]);
        }
        return onDb(db, args);
    }

    /** Calls {@code args} with user db {@code db} SELECTed, as the proxy's connection would have it; returns the reply. */
    private Object onDb(int db, List<Object> args) {
        if (db == 0) {
            return conn.callParsed(args.toArray());
        }
        conn.callParsed("SELECT", db);
        try {
            return conn.callParsed(args.toArray());
        } finally {
            conn.callParsed("SELECT", 0);
        }
    }

    /** Write commands on user db {@code db} as one km_wr call (each with a stamp of its own); returns its replies. */
    Object wr(int db, List<Object[]> commands) {
        List<Object> args = new ArrayList<>(List.of("FCALL", "km_wr", "0", N, origin, db));
        for (Object[] cmd : commands) {
            args.add(stamp());
            args.add(cmd.length);
            args.addAll(List.of(cmd));
        }
        return onDb(db, args);
    }

    /** A stamp's packed form, two hex digits per byte (as the proxy sends it with km_ws). */
    static String packed(String stamp) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < stamp.length(); i += 2) {
            out.append((char) Integer.parseInt(stamp.substring(i, i + 2), 16));
        }
        return out.toString();
    }

    /** An entry's stamps (fields t) packed as the links pass them to km_r: per stamp a length char, then its packed form. */
    static String packedStamps(List<Object> fields) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < fields.size(); i += 2) {
            if ("t".equals(fields.get(i))) {
                String t = (String) fields.get(i + 1);
                boolean packable = t.length() % 2 == 0 && t.matches("0[01][0-9a-f]*");
                String p = packable ? packed(t) : "";
                out.append((char) p.length()).append(p);
            }
        }
        return out.toString();
    }

    /** A km_w request (from {@link #kmw}) with a MULTI transaction id instead of 0. */
    Object[] withTxn(Object[] kmwArgs, String txn) {
        Object[] copy = kmwArgs.clone();
        copy[8] = txn;
        return copy;
    }

    /** The log entries of an origin held here, as [id, [fields...]] lists. */
    @SuppressWarnings("unchecked")
    List<List<Object>> log(String ofOrigin) {
        conn.callParsed("SELECT", 2 * N);
        List<List<Object>> entries = (List<List<Object>>) (List<?>) conn.callParsed("XRANGE", "km:log:" + ofOrigin, "-", "+");
        conn.callParsed("SELECT", 0);
        return entries;
    }

    /** Merges {@code keys} of user db {@code db} from {@code from} as a snapshot link does: km_dumpkey there, km_mergekey here. */
    @SuppressWarnings("unchecked")
    void mergeKeys(Node from, int db, List<String> keys) {
        for (String key : keys) {
            List<Object> dump = (List<Object>) from.conn.callParsed("FCALL", "km_dumpkey", "0", N, db, key);
            if (dump.isEmpty()) {
                continue;
            }
            List<Object> args = new ArrayList<>(List.of("FCALL", "km_mergekey", "0", N, db, key));
            args.addAll(dump);
            conn.callParsed(args.toArray());
        }
    }

    /**
     * Takes a snapshot of {@code from} as a snapshot link does: the flush epochs of its user databases,
     * every key of its user and metadata databases, then {@code from}'s own log position (its log is
     * read from there on).
     */
    @SuppressWarnings("unchecked")
    void snapshotFrom(Node from) {
        from.conn.callParsed("SELECT", 2 * N);
        List<Object> epochs = (List<Object>) from.conn.callParsed("HGETALL", "km:epoch");
        from.conn.callParsed("SELECT", 0);
        for (int i = 0; i < epochs.size(); i += 2) {
            callScanning("FCALL", "km_mergeflush", "0", N, epochs.get(i), epochs.get(i + 1));
        }
        for (int db = 0; db < 2 * N; db++) {
            from.conn.callParsed("SELECT", db);
            List<String> keys = new ArrayList<>();
            for (Object k : (List<Object>) from.conn.callParsed("KEYS", "*")) {
                keys.add((String) k);
            }
            from.conn.callParsed("SELECT", 0);
            mergeKeys(from, db % N, keys);
        }
        from.conn.callParsed("SELECT", 2 * N);
        Object head = from.conn.callParsed("HGET", "km:pos", from.origin);
        from.conn.callParsed("SELECT", 0);
        if (head != null) {
            conn.callParsed("SELECT", 2 * N);
            conn.callParsed("HSET", "km:pos", from.origin, head);
            conn.callParsed("SELECT", 0);
        }
    }

    /** Applies entries (as returned by {@link #log}) of one origin with km_r; returns the new position. */
    @SuppressWarnings("unchecked")
    Object apply(String ofOrigin, List<List<Object>> entries) {
        List<Object> args = new ArrayList<>(List.of("FCALL", "km_r", "0", N, ofOrigin, entries.size()));
        for (List<Object> e : entries) {
            String id = (String) e.get(0);
            List<Object> fields = (List<Object>) e.get(1);
            args.add(id.substring(0, id.indexOf('-')));
            args.add(fields.size() / 2);
            // the packed stamps the links pass (every other entry, so that the library's own packing runs too)
            args.add(args.size() % 2 == 0 ? packedStamps(fields) : "");
            args.addAll(fields);
            for (int i = 0; i < fields.size(); i += 2) {
                if ("t".equals(fields.get(i))) {
                    String t = (String) fields.get(i + 1);
                    observe(Long.parseLong(t.substring(0, 16), 16));
                }
            }
        }
        Object reply = callScanning(args.toArray());
        if (reply instanceof RawConnection.Err err) {
            throw new IllegalStateException("km_r failed: " + err.message());
        }
        return reply;
    }

    /** Keys per km_flushscan step (as the links' FlushScan takes them, or fewer to interleave more). */
    int scanStep = 1000;
    /** Runs after each km_flushscan step: the convergence test writes there, as the node's clients do meanwhile. */
    Runnable betweenScanSteps = () -> { };
    private boolean inScanStep;

    /**
     * Calls km_r or km_mergeflush as the links do (FlushScan.call): while the reply asks for a scan
     * ahead of a flush, goes over the db with km_flushscan, then calls again. Returns the last reply.
     */
    Object callScanning(Object... args) {
        Object reply = conn.callParsed(args);
        while (reply instanceof List<?> l && l.size() == 4 && "scan".equals(l.get(1))) {
            String phase = "start";
            Object cursor = "0";
            while (!"done".equals(phase)) {
                Object next = conn.callParsed("FCALL", "km_flushscan", "0", N, l.get(2), l.get(3), phase, cursor, scanStep);
                if (!(next instanceof List<?> step)) {
                    throw new IllegalStateException("km_flushscan: " + next);
                }
                phase = (String) step.get(0);
                cursor = step.get(1);
                if (!inScanStep) {
                    inScanStep = true;
                    try {
                        betweenScanSteps.run();
                    } finally {
                        inScanStep = false;
                    }
                }
            }
            reply = conn.callParsed(args);
        }
        return reply;
    }

    /** Everything a client can see in the user dbs: key, type, content and absolute expiry, sorted. */
    @SuppressWarnings("unchecked")
    String digest() {
        StringBuilder sb = new StringBuilder();
        for (int db = 0; db < N; db++) {
            conn.callParsed("SELECT", db);
            List<Object> keys = (List<Object>) conn.callParsed("KEYS", "*");
            TreeMap<String, String> rows = new TreeMap<>();
            for (Object k : keys) {
                String key = (String) k;
                String type = (String) conn.callParsed("TYPE", key);
                Object content = switch (type) {
                    case "string" -> conn.callParsed("GET", key);
                    case "hash" -> new TreeMap<>(pairs((List<Object>) conn.callParsed("HGETALL", key)));
                    case "set" -> sorted((List<Object>) conn.callParsed("SMEMBERS", key));
                    case "zset" -> conn.callParsed("ZRANGE", key, "0", "-1", "WITHSCORES");
                    case "list" -> conn.callParsed("LRANGE", key, "0", "-1");
                    case "stream" -> conn.callParsed("XRANGE", key, "-", "+") + " groups " + groups(key);
                    default -> conn.callParsed("DUMP", key);
                };
                rows.put(key, type + " " + content + " ttl@" + conn.callParsed("PEXPIRETIME", key));
            }
            sb.append("db").append(db).append(' ').append(rows).append('\n');
        }
        conn.callParsed("SELECT", 0);
        return sb.toString();
    }

    /**
     * A stream's consumer groups as a client can compare them: per group its last-delivered ID and its
     * pending entries (ID, owner, deliveries); not idle times or counters that are each node's own.
     */
    @SuppressWarnings("unchecked")
    private String groups(String key) {
        TreeMap<String, String> out = new TreeMap<>();
        for (Object g : (List<Object>) conn.callParsed("XINFO", "GROUPS", key)) {
            TreeMap<String, Object> info = pairs((List<Object>) g);
            String name = (String) info.get("name");
            StringBuilder pending = new StringBuilder();
            for (Object p : (List<Object>) conn.callParsed("XPENDING", key, name, "-", "+", "1000000")) {
                List<Object> row = (List<Object>) p;
                pending.append(row.get(0)).append(':').append(row.get(1)).append('#').append(row.get(3)).append(' ');
            }
            out.put(name, "last=" + info.get("last-delivered-id") + " pending=[" + pending.toString().trim() + "]");
        }
        return out.toString();
    }

    /** A hash's metadata (its fields and their strings) whatever their order in the hash. */
    @SuppressWarnings("unchecked")
    java.util.SortedMap<String, Object> metaFields(String key) {
        conn.callParsed("SELECT", N);
        List<Object> all = (List<Object>) conn.callParsed("HGETALL", key);
        conn.callParsed("SELECT", 0);
        java.util.SortedMap<String, Object> out = new java.util.TreeMap<>();
        for (int i = 0; i < all.size(); i += 2) {
            out.put((String) all.get(i), all.get(i + 1));
        }
        return out;
    }

    /** The merge metadata of a key of db 0, as stored (for traces). */
    String meta(String key) {
        conn.callParsed("SELECT", N);
        String type = (String) conn.callParsed("TYPE", key);
        Object m = switch (type) {
            case "string" -> conn.callParsed("GET", key);
            case "hash" -> conn.callParsed("HGETALL", key);
            case "list" -> conn.callParsed("LRANGE", key, "0", "-1");
            default -> type;
        };
        conn.callParsed("SELECT", 0);
        return String.valueOf(m);
    }

    private static TreeMap<String, Object> pairs(List<Object> flat) {
        TreeMap<String, Object> m = new TreeMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            m.put((String) flat.get(i), flat.get(i + 1));
        }
        return m;
    }

    private static List<String> sorted(List<Object> items) {
        List<String> s = new ArrayList<>();
        for (Object o : items) {
            s.add((String) o);
        }
        s.sort(null);
        return s;
    }

    @Override
    public void close() {
        conn.close();
        process.stop(Duration.ofSeconds(5));
    }
}
