package io.keymesh.topology.wire;

import io.keymesh.topology.clock.Stamp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The grammar of the log entry fields that the apply library parses or keeps in a key's metadata, as
 * its writers emit them (storage-adapter's apply/*.lua), checked on every entry of a received batch
 * before any of it is applied, so that a peer cannot store metadata the library cannot read:
 * <ul>
 * <li>{@code t}, {@code q}: a stamp ({@link Stamp#valid});
 * <li>{@code b}, {@code f}: one of the node's user databases, in decimal;
 * <li>{@code v}, and {@code u} not right after {@code c}: a counter vector, "origin stamp total"
 *     triples joined by single spaces (core.lua's {@code seen_str}), each origin a node id, or a node
 *     id, "@" and the stamp of the flush epoch its total counts from; each total a number;
 *     {@code u} right after {@code c}: "h " or "z " then such a vector;
 * <li>{@code e}, {@code i}, {@code j}: a number as core.lua's {@code num} writes it;
 * <li>{@code xa}, {@code xd}, {@code xt}, {@code xgc}, {@code xl}, {@code xk}: a stream ID,
 *     "ms-seq" in decimal; {@code xp}: a stream ID, a delivery count, then the consumer;
 *     {@code xgd}: empty; {@code xv}: a msgpack array of strings ({@link PackedStrings});
 * <li>{@code m}: a msgpack array of strings holding an even number of them, the entry's further
 *     fields (names and values), each checked by these same rules; never an {@code m} inside.
 * </ul>
 * Other fields (keys, values, members, group and consumer names) are taken as any bytes.
 */
public final class LogEntryGrammar {
    private static final String STAMP_RULE =
            "every t and q field of an entry is a stamp, 16 hex digits of HLC then the node id";
    private static final String VECTOR_RULE = "a counter vector is \"origin stamp total\" triples joined by single"
            + " spaces, each origin a node id (8 lower-case hex digits) with or without @ and a stamp, each total a number";
    private static final String MEMBER_VECTOR_RULE = "a u right after c is h or z, a space, then a counter vector";
    private static final String NUMBER_RULE = "e, i and j are decimal numbers (-, digits, a fraction, an exponent)";
    private static final String STREAM_ID_RULE = "xa, xd, xt, xgc, xl and xk hold a stream ID, <ms>-<seq> in decimal";
    private static final String PENDING_RULE = "xp is a stream ID, a delivery count and the consumer, joined by spaces";
    private static final String EMPTY_RULE = "xgd is empty";
    private static final String PACKED_RULE = "m and xv are a msgpack array of strings";
    private static final String OPS_RULE = "m holds field names and values, an even number of strings, and no m";
    private static final int ID_DIGITS_MAX = 20;      // 2^64 - 1, and one past it (a floor past the last ID)

    private LogEntryGrammar() {
    }

    /**
     * Why {@code e} is not an entry the apply library can read into {@code databases} user databases
     * (its first field that breaks a rule, quoted, with the rule), or null when every field keeps them.
     */
    public static String malformed(LogEntry e, int databases) {
        return fields(e.seq(), e.fields(), databases, false);
    }

    private static String fields(long seq, List<byte[]> f, int databases, boolean packed) {
        byte[] previous = null;
        for (int i = 0; i < f.size(); i += 2) {
            byte[] name = f.get(i);
            byte[] v = f.get(i + 1);
            String why = field(seq, name, v, previous, databases, packed);
            if (why != null) {
                return why;
            }
            previous = name;
        }
        return null;
    }

    /** Null when {@code name}'s value {@code v} keeps its rule; {@code previous}: the field name before it (null for none). */
    private static String field(long seq, byte[] name, byte[] v, byte[] previous, int databases, boolean packed) {
        if (name.length == 1) {
            return letter(seq, name, v, previous, databases, packed);
        }
        if (name.length < 2 || name.length > 3 || name[0] != 'x') {
            return null;
        }
        String rule = streamOp(name, v);
        return rule == null ? null : refuse(seq, name, v, packed, rule);
    }

    /** A field with a one-letter name, as {@link #field}. */
    private static String letter(long seq, byte[] name, byte[] v, byte[] previous, int databases, boolean packed) {
        switch (name[0]) {
            case 't', 'q' -> {
                return Stamp.valid(v, 0, v.length) ? null
                        : "entry " + seq + " stamped " + quote(v) + where(packed) + " (refused: " + STAMP_RULE + ")";
            }
            case 'b', 'f' -> {
                return database(v, databases) ? null : "entry " + seq + " in database " + quote(v) + where(packed)
                        + " (refused: every b and f field of an entry is a user database, 0 to " + (databases - 1) + ")";
            }
            case 'v' -> {
                return vector(v, 0) ? null : refuse(seq, name, v, packed, VECTOR_RULE);
            }
            case 'u' -> {
                if (previous != null && previous.length == 1 && previous[0] == 'c') {
                    return v.length >= 2 && (v[0] == 'h' || v[0] == 'z') && v[1] == ' ' && vector(v, 2) ? null
                            : refuse(seq, name, v, packed, MEMBER_VECTOR_RULE);
                }
                return vector(v, 0) ? null : refuse(seq, name, v, packed, VECTOR_RULE);
            }
            case 'e', 'i', 'j' -> {
                return number(v, 0, v.length) ? null : refuse(seq, name, v, packed, NUMBER_RULE);
            }
            case 'm' -> {
                return packed ? refuse(seq, name, v, true, OPS_RULE) : ops(seq, v, databases);
            }
            default -> {
                return null;
            }
        }
    }

    /** The rule a stream op's value {@code v} breaks (name "x?" or "x??"), or null when it keeps it or the name is no stream op. */
    private static String streamOp(byte[] name, byte[] v) {
        if (name.length == 3) {
            if (name[1] != 'g' || name[2] != 'c' && name[2] != 'd') {
                return null;
            }
            return name[2] == 'c' ? (streamId(v, 0, v.length) ? null : STREAM_ID_RULE) : (v.length == 0 ? null : EMPTY_RULE);
        }
        switch (name[1]) {
            case 'a', 'd', 't', 'l', 'k' -> {
                return streamId(v, 0, v.length) ? null : STREAM_ID_RULE;
            }
            case 'p' -> {
                return pending(v) ? null : PENDING_RULE;
            }
            case 'v' -> {
                try {
                    PackedStrings.count(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return PACKED_RULE + ": " + e.getMessage();
                }
            }
            default -> {
                return null;
            }
        }
    }

    /** The fields packed in {@code m}, checked; null when they keep every rule. */
    private static String ops(long seq, byte[] m, int databases) {
        List<byte[]> ops;
        try {
            ops = PackedStrings.unpack(m);
        } catch (IllegalArgumentException e) {
            return refuse(seq, new byte[] {'m'}, m, false, PACKED_RULE + ": " + e.getMessage());
        }
        if (ops.size() % 2 != 0) {
            return refuse(seq, new byte[] {'m'}, m, false, OPS_RULE + ": " + ops.size() + " strings");
        }
        return fields(seq, ops, databases, true);
    }

    /** "origin stamp total" triples from {@code from} to the end, joined by single spaces (none at all too). */
    private static boolean vector(byte[] v, int from) {
        int at = from;
        int end = v.length;
        if (at == end) {
            return true;
        }
        while (true) {
            int word = next(v, at);
            if (!origin(v, at, word)) {
                return false;
            }
            at = word + 1;
            word = next(v, at);
            if (word >= end || !Stamp.valid(v, at, word)) {
                return false;
            }
            at = word + 1;
            word = next(v, at);
            if (!number(v, at, word)) {
                return false;
            }
            if (word == end) {
                return true;
            }
            at = word + 1;
        }
    }

    /** Where the word starting at {@code at} ends: the next space, or the end of {@code v}. */
    private static int next(byte[] v, int at) {
        int i = at;
        while (i < v.length && v[i] != ' ') {
            i++;
        }
        return i;
    }

    /** A node id, or a node id, "@" and a stamp (the flush epoch a total counts from). */
    private static boolean origin(byte[] v, int from, int to) {
        int id = from + NodeIds.LENGTH;
        if (to < id || !NodeIds.valid(v, from, id)) {
            return false;
        }
        return id == to || v[id] == '@' && Stamp.valid(v, id + 1, to);
    }

    /** A number as the apply library writes one: -?digits(.digits)?(e[+-]?digits)? */
    private static boolean number(byte[] v, int from, int to) {
        int at = from;
        if (at < to && v[at] == '-') {
            at++;
        }
        int digits = digits(v, at, to);
        if (digits == at) {
            return false;
        }
        at = digits;
        if (at < to && v[at] == '.') {
            digits = digits(v, at + 1, to);
            if (digits == at + 1) {
                return false;
            }
            at = digits;
        }
        if (at < to && v[at] == 'e') {
            at++;
            if (at < to && (v[at] == '+' || v[at] == '-')) {
                at++;
            }
            digits = digits(v, at, to);
            if (digits == at) {
                return false;
            }
            at = digits;
        }
        return at == to;
    }

    /** Where the decimal digits from {@code from} end. */
    private static int digits(byte[] v, int from, int to) {
        int i = from;
        while (i < to && v[i] >= '0' && v[i] <= '9') {
            i++;
        }
        return i;
    }

    /** A stream ID as Redis writes one: "ms-seq", each up to 20 decimal digits. */
    private static boolean streamId(byte[] v, int from, int to) {
        int ms = digits(v, from, to);
        if (ms == from || ms - from > ID_DIGITS_MAX || ms >= to || v[ms] != '-') {
            return false;
        }
        int seq = digits(v, ms + 1, to);
        return seq == to && seq > ms + 1 && seq - ms - 1 <= ID_DIGITS_MAX;
    }

    /** "id count consumer": a stream ID, a delivery count, then the consumer's name (any bytes). */
    private static boolean pending(byte[] v) {
        int id = next(v, 0);
        if (id >= v.length || !streamId(v, 0, id)) {
            return false;
        }
        int count = digits(v, id + 1, v.length);
        return count > id + 1 && count - id - 1 <= ID_DIGITS_MAX && count < v.length && v[count] == ' ';
    }

    private static boolean database(byte[] v, int databases) {
        if (v.length == 0 || v.length > 9 || digits(v, 0, v.length) != v.length || v[0] == '0' && v.length > 1) {
            return false;
        }
        int db = 0;
        for (byte b : v) {
            db = db * 10 + (b - '0');
        }
        return db < databases;
    }

    private static String refuse(long seq, byte[] name, byte[] v, boolean packed, String rule) {
        return "entry " + seq + " with " + new String(name, StandardCharsets.ISO_8859_1) + " " + quote(v) + where(packed)
                + " (refused: " + rule + ")";
    }

    private static String where(boolean packed) {
        return packed ? " in its packed fields (m)" : "";
    }

    private static String quote(byte[] v) {
        return Stamp.quote(new String(v, StandardCharsets.ISO_8859_1));
    }
}
