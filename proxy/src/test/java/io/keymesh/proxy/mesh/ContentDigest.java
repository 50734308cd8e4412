package io.keymesh.proxy.mesh;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a client sees on one node, over every key of every user database: key, type, the full value
 * in a canonical order (hash fields and set members sorted; lists, sorted sets and streams in their
 * own order; a stream also with its consumer groups: last-delivered ID and pending entries) and the
 * absolute expiry. Read through the keymesh port with SCAN, so it sees exactly
 * what clients see. Two digests are equal when they hold the same keys with the same types and
 * values and expiries within {@link #EXPIRY_TOLERANCE_MILLIS} of each other.
 */
public final class ContentDigest {
    /** Expiry times closer than this count as equal (clocks of one machine, coarse bucket). */
    public static final long EXPIRY_TOLERANCE_MILLIS = 1000;
    private static final int SCAN_COUNT = 1000;
    private static final long REPLY_TIMEOUT_SECONDS = 60;

    /** One key's state: type, digest of the canonical value, a short preview for messages, absolute expiry (-1 none). */
    public record KeyState(String type, String valueSha, String preview, long expireAtMillis) {
        boolean sameAs(KeyState other) {
            if (!type.equals(other.type) || !valueSha.equals(other.valueSha)) {
                return false;
            }
            if (expireAtMillis < 0 || other.expireAtMillis < 0) {
                return expireAtMillis < 0 && other.expireAtMillis < 0;
            }
            return Math.abs(expireAtMillis - other.expireAtMillis) <= EXPIRY_TOLERANCE_MILLIS;
        }

        @Override
        public String toString() {
            return type + " " + preview + (expireAtMillis < 0 ? "" : " expires@" + expireAtMillis);
        }
    }

    private final SortedMap<String, KeyState> keys;

    private ContentDigest(SortedMap<String, KeyState> keys) {
        this.keys = keys;
    }

    /** Reads every user key of databases {@code 0 .. databases-1} through {@code connection} (left on db 0). */
    public static ContentDigest read(StatefulRedisConnection<String, String> connection, int databases) {
        SortedMap<String, KeyState> keys = new TreeMap<>();
        for (int db = 0; db < databases; db++) {
            RawCommand.call(connection, "SELECT", Integer.toString(db));
            String cursor = "0";
            do {
                List<?> page = (List<?>) RawCommand.call(connection, "SCAN", cursor, "COUNT", Integer.toString(SCAN_COUNT));
                cursor = (String) page.get(0);
                List<String> batch = new ArrayList<>();
                for (Object k : (List<?>) page.get(1)) {
                    batch.add((String) k);
                }
                readBatch(connection, db, batch, keys);
            } while (!cursor.equals("0"));
        }
        RawCommand.call(connection, "SELECT", "0");
        return new ContentDigest(keys);
    }

    private static void readBatch(StatefulRedisConnection<String, String> c, int db, List<String> batch,
                                  SortedMap<String, KeyState> into) {
        List<RedisFuture<Object>> types = new ArrayList<>(batch.size());
        for (String key : batch) {
            types.add(RawCommand.send(c, "TYPE", key));
        }
        List<String> typeNames = new ArrayList<>(batch.size());
        List<RedisFuture<Object>> values = new ArrayList<>(batch.size());
        List<RedisFuture<Object>> expiries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String key = batch.get(i);
            String type = (String) await(types.get(i));
            typeNames.add(type);
            values.add(switch (type) {
                case "string" -> RawCommand.send(c, "GET", key);
                case "hash" -> RawCommand.send(c, "HGETALL", key);
                case "set" -> RawCommand.send(c, "SMEMBERS", key);
                case "zset" -> RawCommand.send(c, "ZRANGE", key, "0", "-1", "WITHSCORES");
                case "list" -> RawCommand.send(c, "LRANGE", key, "0", "-1");
                case "stream" -> RawCommand.send(c, "XRANGE", key, "-", "+");
                default -> null;
            });
            expiries.add(RawCommand.send(c, "PEXPIRETIME", key));
        }
        for (int i = 0; i < batch.size(); i++) {
            String type = typeNames.get(i);
            Object expiry = await(expiries.get(i));
            if (values.get(i) == null) {
                continue;   // "none": gone between SCAN and TYPE
            }
            Object value = await(values.get(i));
            long expireAt = expiry instanceof Long l ? l : -1;
            if (value == null || expireAt == -2) {
                continue;   // gone between TYPE and the read
            }
            String canonical = canonical(type, value);
            if (type.equals("stream")) {
                canonical += " groups " + groups(c, batch.get(i));
            }
            into.put(db + ":" + batch.get(i), new KeyState(type, sha(canonical), preview(canonical), expireAt < 0 ? -1 : expireAt));
        }
    }

    /**
     * A stream's consumer groups as clients can compare them: per group its last-delivered ID and its
     * pending entries (ID, owner, deliveries), not idle times or counters that are each node's own.
     */
    private static String groups(StatefulRedisConnection<String, String> c, String key) {
        TreeMap<String, String> out = new TreeMap<>();
        Object info = RawCommand.call(c, "XINFO", "GROUPS", key);
        if (!(info instanceof List<?> list)) {
            return "";
        }
        for (Object g : list) {
            List<?> flat = (List<?>) g;
            TreeMap<String, String> f = new TreeMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                f.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
            }
            StringBuilder pending = new StringBuilder();
            for (Object p : (List<?>) RawCommand.call(c, "XPENDING", key, f.get("name"), "-", "+", "1000000")) {
                List<?> row = (List<?>) p;
                pending.append(row.get(0)).append(':').append(row.get(1)).append('#').append(row.get(3)).append(' ');
            }
            out.put(f.get("name"), "last=" + f.get("last-delivered-id") + " pending=[" + pending.toString().trim() + "]");
        }
        return out.toString();
    }

    private static String canonical(String type, Object value) {
        return switch (type) {
            case "hash" -> sortedPairs((List<?>) value);
            case "set" -> new TreeSet<>(strings((List<?>) value)).toString();
            default -> render(value);
        };
    }

    private static String sortedPairs(List<?> flat) {
        TreeMap<String, String> pairs = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            pairs.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return pairs.toString();
    }

    private static List<String> strings(List<?> items) {
        List<String> out = new ArrayList<>(items.size());
        items.forEach(i -> out.add(String.valueOf(i)));
        return out;
    }

    private static String render(Object value) {
        if (value instanceof List<?> list) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(render(list.get(i)));
            }
            return b.append(']').toString();
        }
        return String.valueOf(value);
    }

    private static String preview(String canonical) {
        return canonical.length() <= 60 ? canonical : canonical.substring(0, 57) + "...(" + canonical.length() + " chars)";
    }

    private static String sha(String canonical) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.ISO_8859_1));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object await(RedisFuture<Object> f) {
        try {
            return f.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("digest read failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("digest read got no reply in " + REPLY_TIMEOUT_SECONDS + " s", e);
        }
    }

    /** Number of keys, over all user databases. */
    public int size() {
        return keys.size();
    }

    /** The keys as "db:key". */
    public Set<String> keys() {
        return keys.keySet();
    }

    /** The state of "db:key", or null. */
    public KeyState get(String dbKey) {
        return keys.get(dbKey);
    }

    /** Whether both digests hold the same keys, types, values and (within tolerance) expiries. */
    public boolean sameContent(ContentDigest other) {
        if (keys.size() != other.keys.size()) {
            return false;
        }
        for (Map.Entry<String, KeyState> e : keys.entrySet()) {
            KeyState theirs = other.keys.get(e.getKey());
            if (theirs == null || !e.getValue().sameAs(theirs)) {
                return false;
            }
        }
        return true;
    }

    /** The first {@code limit} keys (in key order) where the two differ, each as "key: this | other". */
    public List<String> diff(ContentDigest other, int limit) {
        TreeSet<String> all = new TreeSet<>(keys.keySet());
        all.addAll(other.keys.keySet());
        List<String> out = new ArrayList<>();
        for (String k : all) {
            KeyState mine = keys.get(k);
            KeyState theirs = other.keys.get(k);
            if (mine != null && theirs != null && mine.sameAs(theirs)) {
                continue;
            }
            out.add(k + ": " + (mine == null ? "(absent)" : mine) + " | " + (theirs == null ? "(absent)" : theirs));
            if (out.size() >= limit) {
                break;
            }
        }
        return out;
    }

    /** A short hash over all keys, values and expiries rounded to 10 s buckets: for logs, not for equality. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        keys.forEach((k, v) -> b.append(k).append('\0').append(v.type).append(v.valueSha)
                .append(v.expireAtMillis < 0 ? -1 : v.expireAtMillis / 10_000).append('\n'));
        return keys.size() + " keys, sha " + sha(b.toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContentDigest d && sameContent(d);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keys.keySet());
    }

    @Override
    public String toString() {
        return summary();
    }
}
