package io.keymesh.storage.apply;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The replication log and position vector as commands, each for a connection with the node-state
 * database (db 2N) selected: the one place outside the library that spells the log's key names,
 * the position hash and the calls that read, raise, trim and apply them.
 *
 * <p>Origin {@code o}'s log is a stream whose entries have ids {@code <seq>-0}; the position vector
 * maps each origin to the highest sequence of its log present on this node.
 */
public final class ReplicationLog {
    /** Prefix of every origin's log stream. */
    private static final String LOG_PREFIX = "km:log:";
    /** The glob matching every origin's log stream. */
    public static final String LOG_KEY_PATTERN = LOG_PREFIX + "*";
    /**
     * Raises HASH KEYS[1] field ARGV[1] to at least ARGV[2] and, when it rises, drops every entry of
     * the log KEYS[2] (all at or below the old position); answers the resulting value.
     */
    private static final String RAISE_POSITION = "local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') "
            + "local want = tonumber(ARGV[2]) if want > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
            + "redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-1', want)) "
            + "return want end return cur";

    private ReplicationLog() {
    }

    /** The name of {@code origin}'s log stream. */
    public static String logKey(String origin) {
        return LOG_PREFIX + origin;
    }

    /** The stream id of sequence {@code seq}. */
    public static String entryId(long seq) {
        return seq + "-0";
    }

    /** The sequence an entry id {@code <seq>-0} names. */
    public static long sequence(String entryId) {
        int dash = entryId.indexOf('-');
        return Long.parseLong(dash < 0 ? entryId : entryId.substring(0, dash));
    }

    /** {@code origin}'s position on this node (nil when none). */
    public static List<String> readPosition(String origin) {
        return List.of("HGET", StateKeys.POSITIONS, origin);
    }

    /** Every origin's position: origin, sequence, ... */
    public static List<String> readPositions() {
        return List.of("HGETALL", StateKeys.POSITIONS);
    }

    /** The origins that have a position on this node. */
    public static List<String> readOrigins() {
        return List.of("HKEYS", StateKeys.POSITIONS);
    }

    /**
     * Raises {@code origin}'s position to at least {@code seq} (a snapshot covered it); answers the
     * resulting position. A raise also empties {@code origin}'s log here in the same call: the
     * entries it held stop short of the new position, and a log with a hole below its position
     * would let a reader standing in the hole see nothing more to read (so it would never resync).
     * Emptied, the log holds nothing below the position, and such a reader gets a snapshot.
     */
    public static List<String> raisePosition(String origin, long seq) {
        return List.of("EVAL", RAISE_POSITION, "2", StateKeys.POSITIONS, logKey(origin), origin, Long.toString(seq));
    }

    /** The first entry of {@code origin}'s log (an empty list when the log is empty). */
    public static List<String> readFirst(String origin) {
        return List.of("XRANGE", logKey(origin), "-", "+", "COUNT", "1");
    }

    /** Entries of {@code origin}'s log after sequence {@code afterSeq}, at most {@code count}. */
    public static List<String> readAfter(String origin, long afterSeq, int count) {
        return List.of("XRANGE", logKey(origin), "(" + entryId(afterSeq), "+", "COUNT", Integer.toString(count));
    }

    /** Blocks up to {@code blockMillis} (at least 1) until a log in {@code after} grows past its sequence. */
    public static List<String> awaitAny(Map<String, Long> after, long blockMillis) {
        List<String> args = new ArrayList<>(6 + 2 * after.size());
        args.addAll(List.of("XREAD", "COUNT", "1", "BLOCK", Long.toString(Math.max(1, blockMillis)), "STREAMS"));
        for (String origin : after.keySet()) {
            args.add(logKey(origin));
        }
        for (long seq : after.values()) {
            args.add(entryId(seq));
        }
        return args;
    }

    /** The number of entries in {@code origin}'s log. */
    public static List<String> length(String origin) {
        return List.of("XLEN", logKey(origin));
    }

    /** About how many bytes {@code origin}'s log takes (nil when absent). */
    public static List<String> memoryUsage(String origin) {
        return List.of("MEMORY", "USAGE", logKey(origin));
    }

    /** The library's trim: drops {@code origin}'s log entries up to {@code seq}. */
    public static List<String> trim(int userDatabases, String origin, long seq) {
        return List.of("FCALL", "km_trim", "0", Integer.toString(userDatabases), origin, Long.toString(seq));
    }

    /**
     * The start of the library's remote apply of {@code entries} entries of {@code origin}'s log;
     * {@link #addEntry} appends each entry. The call answers the origin's resulting position, or
     * asks for a flush scan ({@link #scanRequest}).
     */
    public static List<Object> applyStart(String userDatabases, String origin, int entries) {
        List<Object> args = new ArrayList<>(8 + entries * 8);
        args.add("FCALL");
        args.add("km_r");
        args.add("0");
        args.add(userDatabases);
        args.add(origin);
        args.add(Integer.toString(entries));
        return args;
    }

    /** Appends entry {@code seq} with {@code fields} (name, value, ...) to a remote apply's arguments. */
    public static void addEntry(List<Object> args, long seq, List<byte[]> fields) {
        args.add(Long.toString(seq));
        args.add(Integer.toString(fields.size() / 2));
        args.add(packedStamps(fields));
        args.addAll(fields);
    }

    /**
     * One step of the library's scan of user db {@code db} ahead of a flush at {@code stamp}, from
     * {@code phase} ("start" first) and {@code cursor}; answers the next phase ("done" at the end)
     * and cursor.
     */
    public static List<String> flushScanStep(String userDatabases, String db, String stamp, String phase, String cursor,
                                             int keys) {
        return List.of("FCALL", "km_flushscan", "0", userDatabases, db, stamp, phase, cursor, Integer.toString(keys));
    }

    /**
     * The flush a remote apply or flush merge asks to scan ahead of, as {@code {db, stamp}}, when
     * {@code reply} ({@code [<position>, "scan", <db>, <stamp>]}, elements as text) is such a
     * request; else null.
     */
    public static String[] scanRequest(List<String> reply) {
        if (reply.size() == 4 && "scan".equals(reply.get(1))) {
            return new String[] {reply.get(2), reply.get(3)};
        }
        return null;
    }

    /**
     * The entry's stamps (its fields t, in order) as the apply library stores a bare register stamp,
     * so that the remote apply need not pack them in Lua: per stamp one length byte, then its packed
     * bytes (two hex digits per byte); length 0 where the library would not pack it either (not an
     * even number of lower-case hex digits starting "00" or "01").
     */
    public static byte[] packedStamps(List<byte[]> f) {
        int size = 0;
        for (int i = 0; i < f.size(); i += 2) {
            if (isStampField(f.get(i))) {
                size += 1 + f.get(i + 1).length / 2;
            }
        }
        byte[] out = new byte[size];
        int at = 0;
        for (int i = 0; i < f.size(); i += 2) {
            if (isStampField(f.get(i))) {
                int len = pack(f.get(i + 1), out, at + 1);
                out[at] = (byte) len;
                at += 1 + len;
            }
        }
        return at == out.length ? out : Arrays.copyOf(out, at);
    }

    private static boolean isStampField(byte[] name) {
        return name.length == 1 && name[0] == 't';
    }

    /** Packs stamp t into out at {@code at}; returns its length, 0 when it is not packable (out is then left as garbage past at). */
    private static int pack(byte[] t, byte[] out, int at) {
        if (t.length < 2 || t.length % 2 != 0 || t.length / 2 > 255 || t[0] != '0' || (t[1] != '0' && t[1] != '1')) {
            return 0;
        }
        int n = t.length / 2;
        for (int i = 0; i < n; i++) {
            int hi = lowerHexDigit(t[2 * i]);
            int lo = lowerHexDigit(t[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                return 0;
            }
            out[at + i] = (byte) (hi << 4 | lo);
        }
        return n;
    }

    private static int lowerHexDigit(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }
}
