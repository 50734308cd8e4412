package io.keymesh.proxy.fuzz;

import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;

import java.util.ArrayList;
import java.util.List;

/**
 * Generates link-protocol cases. Peer cases are what a fake peer sends to the node pulling from it
 * once the link streams: log batches that are right, gapped, repeated, negative, huge or shorter
 * than their counts, entries with unknown ops and bad, skewed or missing stamps, heartbeats and
 * snapshot frames out of place, publishes, frames of the wrong direction, wrong RESP types
 * (RESP3 too), deep nesting, oversize bulks, garbage and truncation. Replica cases are what a fake
 * replica sends to the node serving it: acknowledgements good and bad, and the same kinds of
 * wrong frames. Stamps are made from {@code nowMillis} at sending time, so a replayed case keeps its
 * clock skew.
 */
final class LinkCases {
    /** Sequences a batch may carry (a fake peer's log positions are small; the rest are edge cases). */
    private static final long[] SEQS = {-1, 0, 1, 2, 3, 1000, 1L << 31, 1L << 53, Long.MAX_VALUE - 1, Long.MAX_VALUE,
        Long.MIN_VALUE};
    private static final String[] FIELDS = {"t", "k", "s", "b", "x", "m", "f", "o", "i", "e", "d", "v", "p", "q", "n",
        "H", "T", "X", "F", "L", "xa", "xd", "xg", "z", "h", "c", "", "tt"};
    private static final String[] KINDS = {"SYNC", "BATCH", "HB", "SNAPFLUSH", "SNAPLIB", "SNAPKEY", "SNAPEND", "PUB",
        "SPUB", "KEYMESH", "NOSUCH", ""};

    private LinkCases() {
    }

    private static long seq(Pick p) {
        return SEQS[p.below(SEQS.length)];
    }

    /**
     * Whether a peer or snapshot case may flush a database as a peer legitimately can (flush epochs in
     * snapshot frames, flush ops among random entry fields); only such cases may empty the control's keys.
     */
    static boolean mayFlush(FuzzCase c) {
        return c.kind().equals("snapshot-frame") || c.kind().equals("batch-ops") || c.kind().equals("wrong-frame")
                || c.kind().endsWith("+flush");
    }

    /** A case the fake peer sends; {@code origin} is the fake peer's node id, {@code seqBase} its next log sequence. */
    static FuzzCase peer(long seed, long number, long nowMillis, String origin, long seqBase) {
        Pick p = new Pick(seed, number);
        int r = p.below(100);
        if (r < 30) {
            return done(number, FuzzCase.Target.PEER, "batch", frame(batch(p, nowMillis, origin, seqBase, false)));
        }
        if (r < 45) {
            return done(number, FuzzCase.Target.PEER, "batch-ops", frame(batch(p, nowMillis, origin, seqBase, true)));
        }
        if (r < 55) {
            return done(number, FuzzCase.Target.PEER, "heartbeat", frame(List.of(b("HB"), b(stamp(p, nowMillis, origin)),
                    b(Long.toString(seq(p))))));
        }
        if (r < 68) {
            return done(number, FuzzCase.Target.PEER, "snapshot-frame", frame(snapshotFrame(p, nowMillis, origin)));
        }
        if (r < 74) {
            return done(number, FuzzCase.Target.PEER, "publish", frame(List.of(b(p.one("PUB", "SPUB")),
                    p.binary(p.size(64)), p.chance(0.05) ? p.binary(p.between(1 << 20, 4 << 20)) : p.binary(p.size(300)))));
        }
        if (r < 84) {
            return done(number, FuzzCase.Target.PEER, "wrong-frame", frame(wrongFrame(p, origin)));
        }
        return malformed(p, number, FuzzCase.Target.PEER);
    }

    /** A case the fake replica sends after its handshake. */
    static FuzzCase replica(long seed, long number, String servingNodeId) {
        Pick p = new Pick(seed, number);
        int r = p.below(100);
        if (r < 45) {
            String origin = p.one(servingNodeId, servingNodeId, "fa11ce00", "", p.word(8), p.word(p.size(200)));
            return done(number, FuzzCase.Target.REPLICA, "ack", frame(List.of(b("KEYMESH"), b(p.one("ACK", "ack", "AcK")),
                    b(origin), b(p.chance(0.7) ? Long.toString(seq(p)) : p.number()))));
        }
        if (r < 70) {
            return done(number, FuzzCase.Target.REPLICA, "wrong-frame", frame(wrongFrame(p, servingNodeId)));
        }
        return malformed(p, number, FuzzCase.Target.REPLICA);
    }

    private static List<Object> batch(Pick p, long nowMillis, String origin, long seqBase, boolean randomOps) {
        int entries = p.chance(0.05) ? p.between(100, 600) : p.size(8);
        List<Object> f = new ArrayList<>();
        f.add(b("BATCH"));
        f.add(b(p.chance(0.9) ? origin : p.one("", p.word(8), "00000000", origin.toUpperCase())));
        int declared = p.chance(0.9) ? entries : entries + p.between(-2, 2);
        f.add(b(Integer.toString(declared)));
        long seq = p.chance(0.75) ? seqBase + p.between(0, 3) : seq(p);
        for (int e = 0; e < entries; e++) {
            f.add(b(Long.toString(seq)));
            seq = p.chance(0.9) ? seq + 1 : p.chance(0.5) ? seq : seq - p.between(1, 3);
            List<byte[]> fields = randomOps ? randomFields(p, nowMillis, origin) : plainSets(p, nowMillis, origin);
            int nfields = fields.size() / 2;
            f.add(b(p.chance(0.97) ? Integer.toString(nfields) : p.one("-1", "0", Integer.toString(nfields + 1), "x")));
            f.addAll(fields);
        }
        return f;
    }

    /** One or a few plain SETs: t <stamp> [b <db>] k <key> s <value> ... */
    private static List<byte[]> plainSets(Pick p, long nowMillis, String origin) {
        List<byte[]> fields = new ArrayList<>();
        int sets = p.chance(0.8) ? 1 : p.between(2, 5);
        for (int i = 0; i < sets; i++) {
            fields.add(b("t"));
            fields.add(b(p.chance(0.9) ? Stamp.of(Hlc.pack(nowMillis - p.below(1000), p.below(100)), origin)
                    : stamp(p, nowMillis, origin)));
            if (i == 0 && p.chance(0.3)) {
                fields.add(b("b"));
                fields.add(b(p.one("0", "1", "3", "4", "-1", "99", "x")));
            }
            fields.add(b("k"));
            fields.add(p.chance(0.9) ? b("fz:" + p.below(48)) : p.binary(p.size(100)));
            fields.add(b("s"));
            fields.add(p.chance(0.98) ? p.binary(p.size(200)) : p.binary(p.between(100_000, 1_000_000)));
        }
        return fields;
    }

    private static List<byte[]> randomFields(Pick p, long nowMillis, String origin) {
        List<byte[]> fields = new ArrayList<>();
        int n = p.between(0, 8);
        if (p.chance(0.8)) {
            fields.add(b("t"));
            fields.add(b(stamp(p, nowMillis, origin)));
        }
        for (int i = 0; i < n; i++) {
            fields.add(b(p.one(FIELDS)));
            fields.add(p.chance(0.4) ? b(p.number()) : p.chance(0.3) ? b("fz:" + p.below(48))
                    : p.chance(0.3) ? b(stamp(p, nowMillis, origin)) : p.binary(p.size(64)));
        }
        return fields;
    }

    /** A stamp: mostly right, else skewed (ahead or behind), malformed or someone else's. */
    static String stamp(Pick p, long nowMillis, String origin) {
        int r = p.below(12);
        return switch (r) {
            case 0 -> Stamp.of(Hlc.pack(nowMillis + 3_600_000L, 0), origin);         // an hour ahead: refused
            case 1 -> Stamp.of(Hlc.pack(nowMillis + p.between(100, 450), 0), origin); // ahead, within max-clock-offset
            case 2 -> Stamp.of(Hlc.pack(0, 0), origin);
            case 3 -> Stamp.of(Hlc.pack((1L << 48) - 1, 0xffff), origin);
            case 4 -> p.one("", "zz", "0", "-1", "0000000000000000", p.word(16) + origin, "g".repeat(24));
            case 5 -> Stamp.of(Hlc.pack(nowMillis, 0), p.one("", "x", "FFFFFFFF", p.word(40)));
            case 6 -> Stamp.of(Hlc.pack(nowMillis - 86_400_000L * 365, 7), origin); // a year behind
            default -> Stamp.of(Hlc.pack(nowMillis - p.below(5000), p.below(1000)), origin);
        };
    }

    private static List<Object> snapshotFrame(Pick p, long nowMillis, String origin) {
        String db = p.one("0", "1", "3", "4", "-1", "99", "2147483648", "x");
        return switch (p.below(5)) {
            case 0 -> List.of(b("SNAPFLUSH"), b(db), b(stamp(p, nowMillis, origin)));
            case 1 -> List.of(b("SNAPLIB"), b(p.one("fz", "", "km", p.word(10))), b(p.one("", stamp(p, nowMillis, origin),
                    stamp(p, nowMillis, origin) + " #!lua name=fz\nredis.register_function('fz', function() return 1 end)",
                    p.word(30))));
            case 2 -> {
                List<Object> f = new ArrayList<>(List.of(b("SNAPKEY"), b(db), b("fz:" + p.below(48))));
                int items = p.between(0, 8);
                for (int i = 0; i < items; i++) {
                    f.add(p.chance(0.3) ? b(stamp(p, nowMillis, origin)) : p.chance(0.3) ? b(p.one("hash", "set", "zset",
                            "xstream", "string", "+", "-")) : p.binary(p.size(50)));
                }
                yield f;
            }
            case 3 -> List.of(b("SNAPEND"), b(p.chance(0.7) ? origin : p.word(8)), b(Long.toString(seq(p))));
            default -> List.of(b("SYNC"), b(p.one("partial", "snapshot", "x")), b(origin), b(Long.toString(seq(p))));
        };
    }

    /** A frame of a kind that does not belong here, or of the right kind with the wrong items. */
    private static List<Object> wrongFrame(Pick p, String origin) {
        List<Object> f = new ArrayList<>();
        f.add(b(p.one(KINDS)));
        int n = p.size(6);
        for (int i = 0; i < n; i++) {
            int r = p.below(8);
            f.add(switch (r) {
                case 0 -> Long.valueOf(p.anyLong());
                case 1 -> List.of(b("nested"), Long.valueOf(1));
                case 2 -> NULL;
                case 3 -> b(origin);
                default -> b(p.chance(0.5) ? p.number() : p.word(p.size(20)));
            });
        }
        return f;
    }

    /** Bytes that are not one well-formed frame; sent last, after which the fake side closes. */
    private static FuzzCase malformed(Pick p, long number, FuzzCase.Target target) {
        RespBytes out = new RespBytes();
        int r = p.below(11);
        switch (r) {
            case 0 -> out.raw(p.binary(p.between(1, 300)));
            case 1 -> {
                int depth = p.chance(0.3) ? p.between(2, 50) : p.between(10_000, 200_000);
                for (int i = 0; i < depth; i++) {
                    out.raw("*1\r\n");
                }
                out.raw("$2\r\nHB\r\n");
            }
            case 2 -> out.raw(p.one("%", "~", ">", "|") + "1\r\n$2\r\nHB\r\n$1\r\nx\r\n");
            case 3 -> out.raw(p.one(",1.5\r\n", "#t\r\n", "(12345678901234567890\r\n", "=7\r\ntxt:abc\r\n", "_\r\n",
                    "+OK\r\n", "-ERR fuzz\r\n", ":42\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n"));
            case 4 -> out.raw("*3\r\n$" + p.one("-2", "99999999999999999999", "536870913", "x", "") + "\r\n");
            case 5 -> out.raw("*" + p.one("-2", "16777217", "2147483648", "abc", "") + "\r\n");
            case 6 -> out.raw("*2\r\n$2\r\nHB\r\n$3\r\nabc" + p.one("", "\r", "\n", "xx"));
            case 7 -> out.raw("*1\n$2\nHB\n");
            case 8 -> out.raw("*2\r\n$3\r\nPUB\r\n$" + (8 << 20) + "\r\n").raw(p.binary(p.between(0, 4096)));
            case 9 -> out.raw("\r\n");
            default -> out.raw("*3\r\n$2\r\nHB\r\n");                                              // truncated
        }
        return new FuzzCase(number, target, out.bytes(), false, "malformed-" + r);
    }

    private static final Object NULL = new Object();

    /** One RESP array of bulks, integers ({@link Long}), nested arrays ({@link List}) and nulls. */
    private static byte[] frame(List<?> items) {
        RespBytes out = new RespBytes();
        write(out, items);
        return out.bytes();
    }

    private static void write(RespBytes out, Object item) {
        if (item instanceof byte[] bytes) {
            out.bulk(bytes);
        } else if (item instanceof Long n) {
            out.raw(":" + n + "\r\n");
        } else if (item instanceof List<?> list) {
            out.raw("*" + list.size() + "\r\n");
            for (Object o : list) {
                write(out, o);
            }
        } else {
            out.raw("$-1\r\n");
        }
    }

    private static FuzzCase done(long number, FuzzCase.Target target, String kind, byte[] bytes) {
        return new FuzzCase(number, target, bytes, true, kind);
    }

    private static byte[] b(String s) {
        return Pick.utf8(s);
    }
}
