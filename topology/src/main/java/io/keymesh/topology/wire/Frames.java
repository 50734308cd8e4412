package io.keymesh.topology.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes {@link LinkFrame}s as RESP argument lists and decodes parsed RESP values back. Pure.
 * Log sequences are whole numbers from 0 to {@link #SEQ_MAX}: the apply library holds them as Lua
 * numbers (doubles), so a frame with a sequence outside that range is refused rather than rounded.
 */
public final class Frames {
    /** The largest log sequence a frame may carry (2^53 - 1: exact as a Lua number). */
    public static final long SEQ_MAX = (1L << 53) - 1;

    private Frames() {
    }

    /** The frame as the items of one RESP array. */
    public static List<byte[]> toArgs(LinkFrame frame) {
        List<byte[]> a = new ArrayList<>();
        if (frame instanceof LinkFrame.Sync s) {
            add(a, "SYNC", s.mode(), s.origin(), Long.toString(s.seq()));
            if (s.keys() >= 0) {
                add(a, Long.toString(s.keys()));
            }
        } else if (frame instanceof LinkFrame.Batch b) {
            add(a, "BATCH", b.origin(), Integer.toString(b.entries().size()));
            for (LogEntry e : b.entries()) {
                add(a, Long.toString(e.seq()), Integer.toString(e.fields().size() / 2));
                a.addAll(e.fields());
            }
        } else if (frame instanceof LinkFrame.Heartbeat h) {
            add(a, "HB", h.stamp(), Long.toString(h.headSeq()));
        } else if (frame instanceof LinkFrame.SnapshotFlush f) {
            add(a, "SNAPFLUSH", Integer.toString(f.db()), f.stamp());
        } else if (frame instanceof LinkFrame.SnapshotLibrary l) {
            add(a, "SNAPLIB", l.name(), l.record());
        } else if (frame instanceof LinkFrame.SnapshotKey k) {
            add(a, "SNAPKEY", Integer.toString(k.db()));
            a.add(k.key());
            a.addAll(k.items());
        } else if (frame instanceof LinkFrame.SnapshotEnd e) {
            add(a, "SNAPEND", e.origin(), Long.toString(e.seq()));
        } else if (frame instanceof LinkFrame.Publish p) {
            add(a, p.sharded() ? "SPUB" : "PUB");
            a.add(p.channel());
            a.add(p.message());
        } else if (frame instanceof LinkFrame.Ack k) {
            add(a, "KEYMESH", "ACK", k.origin(), Long.toString(k.seq()));
        }
        return a;
    }

    /** Decodes one parsed RESP value; throws {@link RespFormatException} when it is not a frame. */
    public static LinkFrame decode(Object value) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw new RespFormatException("link frame is not a non-empty array: " + describe(value));
        }
        String kind = text(list.get(0));
        try {
            switch (kind) {
                case "SYNC" -> {
                    if (list.size() != 4 && list.size() != 5) {
                        throw new RespFormatException("SYNC frame needs 4 or 5 items, got " + list.size());
                    }
                    return new LinkFrame.Sync(text(list.get(1)), text(list.get(2)), seq(list.get(3)),
                            list.size() == 5 ? num(list.get(4)) : -1);
                }
                case "BATCH" -> {
                    return batch(list);
                }
                case "HB" -> {
                    need(list, 3);
                    return new LinkFrame.Heartbeat(text(list.get(1)), seq(list.get(2)));
                }
                case "SNAPFLUSH" -> {
                    need(list, 3);
                    return new LinkFrame.SnapshotFlush((int) num(list.get(1)), text(list.get(2)));
                }
                case "SNAPLIB" -> {
                    need(list, 3);
                    return new LinkFrame.SnapshotLibrary(text(list.get(1)), text(list.get(2)));
                }
                case "SNAPKEY" -> {
                    if (list.size() < 3) {
                        throw new RespFormatException("SNAPKEY needs db and key");
                    }
                    List<byte[]> items = new ArrayList<>(list.size() - 3);
                    for (int i = 3; i < list.size(); i++) {
                        items.add(bytes(list.get(i)));
                    }
                    return new LinkFrame.SnapshotKey((int) num(list.get(1)), bytes(list.get(2)), items);
                }
                case "SNAPEND" -> {
                    need(list, 3);
                    return new LinkFrame.SnapshotEnd(text(list.get(1)), seq(list.get(2)));
                }
                case "PUB", "SPUB" -> {
                    need(list, 3);
                    return new LinkFrame.Publish(kind.equals("SPUB"), bytes(list.get(1)), bytes(list.get(2)));
                }
                case "KEYMESH" -> {
                    need(list, 4);
                    if (!text(list.get(1)).equalsIgnoreCase("ACK")) {
                        throw new RespFormatException("only KEYMESH ACK is accepted on a streaming link");
                    }
                    return new LinkFrame.Ack(text(list.get(2)), seq(list.get(3)));
                }
                default -> throw new RespFormatException("unknown link frame " + kind);
            }
        } catch (NumberFormatException e) {
            throw new RespFormatException("bad number in " + kind + " frame: " + e.getMessage());
        }
    }

    private static LinkFrame.Batch batch(List<?> list) {
        if (list.size() < 3) {
            throw new RespFormatException("BATCH needs origin and count");
        }
        String origin = text(list.get(1));
        long count = num(list.get(2));
        if (count < 0 || 2 * count > list.size() - 3) {    // every entry takes at least its seq and field count
            throw new RespFormatException("BATCH count " + count + " does not fit its " + (list.size() - 3) + " items");
        }
        List<LogEntry> entries = new ArrayList<>((int) Math.min(count, 4096));
        int at = 3;
        for (long i = 0; i < count; i++) {
            if (at + 2 > list.size()) {
                throw new RespFormatException("BATCH shorter than its count");
            }
            long seq = seq(list.get(at++));
            long nfields = num(list.get(at++));
            if (nfields < 0 || at + 2 * nfields > list.size()) {
                throw new RespFormatException("BATCH entry " + seq + " shorter than its field count");
            }
            List<byte[]> fields = new ArrayList<>((int) (2 * nfields));
            for (long k = 0; k < 2 * nfields; k++) {
                fields.add(bytes(list.get(at++)));
            }
            entries.add(new LogEntry(seq, fields));
        }
        if (at != list.size()) {
            throw new RespFormatException("BATCH longer than its count");
        }
        return new LinkFrame.Batch(origin, entries);
    }

    private static void add(List<byte[]> a, String... items) {
        for (String item : items) {
            a.add(item.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void need(List<?> list, int n) {
        if (list.size() != n) {
            throw new RespFormatException(text(list.get(0)) + " frame needs " + n + " items, got " + list.size());
        }
    }

    /** A bulk, simple string or integer item as bytes. */
    public static byte[] bytes(Object item) {
        if (item instanceof byte[] b) {
            return b;
        }
        if (item instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (item instanceof Long n) {
            return RespWriter.bytes(n);
        }
        throw new RespFormatException("expected a string item, got " + describe(item));
    }

    /** A bulk, simple string or integer item as text. */
    public static String text(Object item) {
        return new String(bytes(item), StandardCharsets.UTF_8);
    }

    /** A log sequence: a number from 0 to {@link #SEQ_MAX}. */
    private static long seq(Object item) {
        long n = num(item);
        if (n < 0 || n > SEQ_MAX) {
            throw new RespFormatException("log sequence " + n + " out of range (0 to " + SEQ_MAX + ")");
        }
        return n;
    }

    private static long num(Object item) {
        if (item instanceof Long n) {
            return n;
        }
        byte[] b = bytes(item);
        if (b.length == 0 || b.length > 18) {
            return parseLong(b);                     // empty, or near the limits: the library decides
        }
        long n = 0;
        int i = b[0] == '-' ? 1 : 0;
        if (i == b.length) {
            return parseLong(b);
        }
        for (; i < b.length; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return parseLong(b);
            }
            n = n * 10 + d;
        }
        return b[0] == '-' ? -n : n;
    }

    private static long parseLong(byte[] b) {
        return Long.parseLong(new String(b, StandardCharsets.UTF_8));   // NumberFormatException: decode reports it
    }

    static String describe(Object value) {
        if (value instanceof byte[] b) {
            return "bulk(" + b.length + ")";
        }
        return String.valueOf(value);
    }
}
