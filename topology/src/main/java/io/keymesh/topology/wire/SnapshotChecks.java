package io.keymesh.topology.wire;

import io.keymesh.topology.clock.Stamp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What in a received snapshot frame the apply library would take for what it is not, checked
 * before any of the frame is merged (the library writes a key step by step, so a part it fails on
 * halfway would leave the key half merged): a database the node does not have, a stamp that is not
 * a stamp, key metadata that is not what the library's key dump writes ("t|e|et|d|counters|x|lt|cov", or
 * a packed register stamp), members, list items or a stream's facts of the wrong shape, a DUMP payload of another
 * type than the key's type item says, a SnapshotEnd of the receiving node's own origin. Each method
 * returns the rule a frame breaks, or null.
 */
public final class SnapshotChecks {
    private static final Set<String> TYPES = Set.of("string", "list", "set", "zset", "hash", "stream", "none");
    private static final Pattern EXPIRY = Pattern.compile("0|[1-9][0-9]{0,15}");
    private static final Pattern SEQ = Pattern.compile("0|[1-9][0-9]{0,15}");
    private static final Pattern STREAM_ID = Pattern.compile("[0-9]{1,20}-[0-9]{1,20}");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
    /** A list element's id as the apply library makes it: side, stamp, index, and the origin:seq that pushed it. */
    private static final Pattern ELEMENT_ID = Pattern.compile("[ht]([0-9a-f]{24,}|0) [a-p][0-9a-f]+ ([0-9a-f]+:[0-9a-f]+)?");

    private SnapshotChecks() {
    }

    /** The rule a SnapshotFlush, SnapshotLibrary or SnapshotKey breaks, or null (null for other frames). */
    public static String of(LinkFrame frame, int databases) {
        if (frame instanceof LinkFrame.SnapshotFlush f) {
            return flush(f, databases);
        }
        if (frame instanceof LinkFrame.SnapshotLibrary l) {
            return library(l);
        }
        if (frame instanceof LinkFrame.SnapshotKey k) {
            return key(k, databases);
        }
        return null;
    }

    /** A flush epoch: a user database and a stamp. */
    public static String flush(LinkFrame.SnapshotFlush f, int databases) {
        if (f.db() < 0 || f.db() >= databases) {
            return "database " + f.db() + " (every snapshot frame names a user database, 0 to " + (databases - 1) + ")";
        }
        return Stamp.valid(f.stamp()) ? null : "flush epoch " + Stamp.quote(f.stamp()) + " (not a stamp)";
    }

    /** A function library's record: "<stamp> <code>", or "<stamp>" once deleted. */
    public static String library(LinkFrame.SnapshotLibrary l) {
        String record = l.record();
        int space = record.indexOf(' ');
        String stamp = space < 0 ? record : record.substring(0, space);
        return Stamp.valid(stamp) ? null : "library " + Stamp.quote(l.name()) + " stamped " + Stamp.quote(stamp) + " (not a stamp)";
    }

    /** A SnapshotEnd: never of the receiving node's own origin (its own log is its alone). */
    public static String end(LinkFrame.SnapshotEnd e, String selfId) {
        if (e.origin().equals(selfId)) {
            return "SnapshotEnd of this node's own origin " + selfId + " (a node's position of its own log is its own)";
        }
        return NodeIds.valid(e.origin()) ? null : "SnapshotEnd of origin " + Stamp.quote(e.origin()) + " (not a node id)";
    }

    /** A key: its database, metadata, DUMP payload and the items after them. */
    public static String key(LinkFrame.SnapshotKey k, int databases) {
        if (k.db() < 0 || k.db() >= databases) {
            return "database " + k.db() + " (every snapshot frame names a user database, 0 to " + (databases - 1) + ")";
        }
        List<byte[]> items = k.items();
        if (items.size() < 2) {
            return "no metadata and DUMP payload";
        }
        String meta = metadata(items.get(0));
        if (meta != null) {
            return meta;
        }
        if (items.size() == 2) {
            return null;
        }
        String type = text(items.get(2));
        if (type.equals("l")) {
            return list(items);
        }
        if (!TYPES.contains(type)) {
            return "type item " + Stamp.quote(type) + " (not a Redis type)";
        }
        String dumped = dumpType(items.get(1));
        if (items.get(1).length > 0 && !type.equals(dumped) && (dumped != null || type.equals("none"))) {
            return "a DUMP payload of type " + dumped + " where the type item says " + type;
        }
        if ((items.size() - 3) % 5 != 0) {
            return (items.size() - 3) + " member items (five per member: member, register, value, counters, own type)";
        }
        for (int i = 3; i < items.size(); i += 5) {
            String own = text(items.get(i + 4));
            if (own.equals("xstream")) {
                if (i + 5 != items.size()) {
                    return "a stream's floors before its last member item";
                }
                String stream = streamFacts(text(items.get(i)), text(items.get(i + 1)), items.get(i + 2),
                        text(items.get(i + 3)));
                if (stream != null) {
                    return stream;
                }
                continue;
            }
            String reg = text(items.get(i + 1));
            if (!reg.isEmpty() && ((reg.charAt(0) != '+' && reg.charAt(0) != '-') || !stamp(reg.substring(1)))) {
                return "member register " + Stamp.quote(reg) + " (\"+\" or \"-\" and a stamp)";
            }
            String counters = counters(text(items.get(i + 3)));
            if (counters != null) {
                return "member counters: " + counters;
            }
            if (!own.isEmpty() && (!TYPES.contains(own) || own.equals("none"))) {
                return "member type " + Stamp.quote(own) + " (not a Redis type)";
            }
            String value = text(items.get(i + 2));
            if ((own.isEmpty() ? type : own).equals("zset") && reg.startsWith("+") && !value.isEmpty() && !number(value)) {
                return "sorted set member score " + Stamp.quote(value) + " (not a number)";
            }
        }
        return null;
    }

    /**
     * A stream's facts as the library's key dump ships them: trim floors ("id stamp ..."), the newest XADD's stamp,
     * the group and pending-entry registers (msgpack: an array of field and value strings, fields
     * "xg<group>" or "xq<group>\0<id>", values "+" or "-", a stamp, and what follows a space), and an
     * empty fourth item.
     */
    private static String streamFacts(String floors, String newest, byte[] registers, String fourth) {
        if (!floors.isEmpty()) {
            String[] w = floors.trim().split(" +");
            if (w.length % 2 != 0) {
                return "stream floors " + Stamp.quote(floors) + " (pairs of entry id and stamp)";
            }
            for (int i = 0; i < w.length; i += 2) {
                if (!STREAM_ID.matcher(w[i]).matches() || !stamp(w[i + 1])) {
                    return "stream floors " + Stamp.quote(floors) + " (pairs of entry id and stamp)";
                }
            }
        }
        if (!newest.isEmpty() && !stamp(newest)) {
            return "a stream's newest XADD stamped " + Stamp.quote(newest) + " (not a stamp)";
        }
        if (!fourth.isEmpty()) {
            return "a stream's facts with a fourth item " + Stamp.quote(fourth) + " (empty)";
        }
        if (registers.length == 0) {
            return null;
        }
        List<byte[]> regs = msgpackStrings(registers);
        if (regs == null || regs.size() % 2 != 0) {
            return "stream group registers that are not a msgpack array of field and value strings";
        }
        for (int i = 0; i < regs.size(); i += 2) {
            String field = text(regs.get(i));
            String value = text(regs.get(i + 1));
            int space = value.indexOf(' ');
            boolean fieldOk = field.startsWith("xg") || (field.startsWith("xq") && field.indexOf('\0') > 1
                    && field.indexOf('\0') < field.length() - 1);
            if (!fieldOk || value.isEmpty() || (value.charAt(0) != '+' && value.charAt(0) != '-')
                    || !stamp(value.substring(1, space < 0 ? value.length() : space))) {
                return "stream group register " + Stamp.quote(field) + " = " + Stamp.quote(value)
                        + " (fields xg<group> or xq<group>\\0<id>, values + or - and a stamp)";
            }
        }
        return null;
    }

    /** The strings of a msgpack array of strings (as the apply library's cmsgpack packs them), or null. */
    private static List<byte[]> msgpackStrings(byte[] b) {
        try {
            return PackedStrings.unpack(b);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A list key: no DUMP payload, the sender's positions, then element id and value pairs. */
    private static String list(List<byte[]> items) {
        if (items.get(1).length > 0) {
            return "a list key with a DUMP payload (its elements travel as id and value pairs)";
        }
        if (items.size() < 4 || items.size() % 2 != 0) {
            return "list items of the wrong shape (positions, then id and value pairs)";
        }
        String positions = positions(text(items.get(3)));
        if (positions != null) {
            return "list positions: " + positions;
        }
        for (int i = 4; i < items.size(); i += 2) {
            String id = text(items.get(i));
            if (!ELEMENT_ID.matcher(id).matches()) {
                return "list element id " + Stamp.quote(id) + " (side, stamp, index and origin:seq)";
            }
        }
        return null;
    }

    /** Key metadata as meta_str writes it; the rule it breaks, or null. */
    static String metadata(byte[] raw) {
        if (raw.length > 0 && (raw[0] & 0xff) < 0x20) {
            return FrameStamps.metadata(raw).size() == 1 ? null : "packed metadata that is not a stamp";
        }
        String[] p = text(raw).split("\\|", -1);
        if (p.length > 8) {
            return "metadata of " + p.length + " parts (at most 8)";
        }
        String[] names = {"register", "expiry", "expiry register", "delete", "counters", "removed ids", "newest push",
            "positions"};
        for (int i = 0; i < p.length; i++) {
            String part = p[i];
            if (part.isEmpty()) {
                continue;
            }
            String broken = switch (i) {
                case 0, 2, 3, 6 -> stamp(part) ? null : Stamp.quote(part) + " is not a stamp";
                case 1 -> EXPIRY.matcher(part).matches() ? null : Stamp.quote(part) + " is not a time in ms";
                case 4 -> counters(part);
                case 5 -> removedIds(part);
                default -> positions(part);
            };
            if (broken != null) {
                return "metadata " + names[i] + ": " + broken;
            }
        }
        return null;
    }

    /** "origin stamp total seen ..." */
    private static String counters(String s) {
        if (s.isEmpty()) {
            return null;
        }
        String[] w = s.trim().split(" +");
        if (w.length % 4 != 0) {
            return Stamp.quote(s) + " is not groups of origin, stamp, total and seen";
        }
        for (int i = 0; i < w.length; i += 4) {
            if (!stamp(w[i + 1]) || !number(w[i + 2]) || !number(w[i + 3])) {
                return Stamp.quote(s) + " is not groups of origin, stamp, total and seen";
            }
        }
        return null;
    }

    private static String removedIds(String s) {
        for (String id : s.split(",")) {
            if (!ELEMENT_ID.matcher(id).matches()) {
                return "removed id " + Stamp.quote(id) + " is not an element id";
            }
        }
        return null;
    }

    /** "origin seq ..." */
    private static String positions(String s) {
        if (s.isEmpty()) {
            return null;
        }
        String[] w = s.trim().split(" +");
        if (w.length % 2 != 0) {
            return Stamp.quote(s) + " is not pairs of origin and sequence";
        }
        for (int i = 1; i < w.length; i += 2) {
            if (!SEQ.matcher(w[i]).matches()) {
                return Stamp.quote(s) + " is not pairs of origin and sequence";
            }
        }
        return null;
    }

    /**
     * Whether {@code s} may stand where key metadata holds a stamp: a stamp, or "0", which the apply
     * library stores for a state below every write (a hash written only field by field, what a
     * removal had seen of a counter).
     */
    private static boolean stamp(String s) {
        return Stamp.valid(s) || s.equals("0");
    }

    /**
     * A counter total or a score as the library writes one: a finite decimal, or an infinity as Lua
     * spells it (a sorted set's score may be one); never "nan", nor a decimal too large for a double.
     */
    private static boolean number(String s) {
        if (s.equals("inf") || s.equals("-inf")) {
            return true;
        }
        if (!NUMBER.matcher(s).matches()) {
            return false;
        }
        return Double.isFinite(Double.parseDouble(s));
    }

    /**
     * The Redis type of a DUMP payload from its first byte (the RDB object type, whose numbers the
     * RDB format never reuses), or null for one this check does not know (a module's, a later Redis').
     */
    static String dumpType(byte[] dump) {
        if (dump.length == 0) {
            return null;
        }
        return switch (dump[0] & 0xff) {
            case 0 -> "string";
            case 1, 10, 14, 18 -> "list";
            case 2, 11, 20 -> "set";
            case 3, 5, 12, 17 -> "zset";
            case 4, 9, 13, 16, 22, 23, 24, 25 -> "hash";
            case 15, 19, 21 -> "stream";
            default -> null;
        };
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
