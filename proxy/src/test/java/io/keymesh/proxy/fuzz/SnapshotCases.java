package io.keymesh.proxy.fuzz;

import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Generates snapshot cases: what a fake peer sends after answering the node's PULL with
 * {@code SYNC snapshot}: flush epochs, keys of every type with real DUMP payloads ({@link DumpCatalog})
 * and plausible metadata (a register stamp of the fake origin, sometimes an expiry, the type item of
 * a key merged per member), then {@code SNAPEND}. Three cases in four hold one hostile part: a DUMP
 * payload truncated, with a byte flipped, or corrupt inside and signed again with a right checksum;
 * a DUMP of another type than the type item says; metadata that does not parse, with numbers too
 * large, with a stamp far ahead or malformed; members, list items or a stream's floors, newest XADD
 * and group registers of the wrong shape; a key or a
 * flush in a database the node does not have; a huge or negative key count in the Sync; a key after
 * SNAPEND; a SNAPEND twice, of another origin or of the node's own; the same key twice; an empty key
 * name; a snapshot cut in the middle. Each key a case sends is named after the case and its place
 * in it, so what the node holds of it afterwards can only have come from this case.
 */
final class SnapshotCases {
    /** Hostile parts, each with whether the node must refuse it (close the link, apply nothing of that frame). */
    enum Hostile {
        DUMP_TRUNCATED(true), DUMP_FLIPPED(true), DUMP_RESIGNED(false), TYPE_MISMATCH(true), META_GARBAGE(true),
        META_HUGE(true), STAMP_AHEAD(true), STAMP_MALFORMED(true), MEMBERS_MALFORMED(true), LIST_MALFORMED(true),
        DB_OUT_OF_RANGE(true), FLUSH_MALFORMED(true), SYNC_COUNT(false), KEY_AFTER_END(true), END_TWICE(true),
        END_OTHER_ORIGIN(false), END_OWN_ORIGIN(true), SAME_KEY_TWICE(false), EMPTY_KEY(false), CUT(false);

        final boolean refused;

        Hostile(boolean refused) {
            this.refused = refused;
        }

        boolean keyFrame() {
            return ordinal() <= DB_OUT_OF_RANGE.ordinal() || this == SAME_KEY_TWICE || this == EMPTY_KEY;
        }
    }

    /**
     * One key a case sent: its database, name, the contents a client may read afterwards
     * ({@code "none:"} for absent; null: any content, for a payload whose inside is random but
     * well signed) and whether it must be there (every frame of the case was valid).
     */
    record Key(int db, String name, Set<String> acceptable, boolean required) {
    }

    /**
     * A snapshot case: the Sync frame, the frames after it (complete ones, unless cut), the keys to
     * check, the hostile part (null for none) and the position SNAPEND gives the fake origin.
     */
    record Case(FuzzCase fuzz, byte[] sync, byte[] frames, List<Key> keys, Hostile hostile, long endSeq) {
        boolean complete() {
            return fuzz.complete();
        }
    }

    static final String ABSENT = "none:";
    private static final String[] MEMBER_TYPES = {"hash", "set", "zset"};

    private SnapshotCases() {
    }

    /** Case {@code number}: the fake peer {@code origin} at {@code position}, the node {@code selfId}. */
    static Case of(long seed, long number, long nowMillis, String origin, String selfId, long position,
                   DumpCatalog catalog, int databases) {
        Pick p = new Pick(seed, number);
        Hostile hostile = p.chance(0.25) ? null : p.one(Hostile.values());
        String prefix = "fzs:" + number + ":";
        int count = p.between(1, 8);
        int at = p.below(count);
        long end = position + p.between(1, 3);
        RespBytes out = new RespBytes();
        List<Key> keys = new ArrayList<>();
        long keysDeclared = hostile == Hostile.SYNC_COUNT ? p.one(Long.MAX_VALUE, -5L, 1L << 62, 0L) : count;
        byte[] sync = new RespBytes().command(List.of(b("SYNC"), b("snapshot"), b(origin), b(Long.toString(position)),
                b(Long.toString(keysDeclared)))).bytes();
        boolean flushes = p.chance(0.3);
        if (flushes) {
            frame(out, b("SNAPFLUSH"), b(Integer.toString(p.below(databases))),
                    b(Stamp.of(Hlc.pack(nowMillis - 86_400_000L - p.below(1_000_000), 0), origin)));
        }
        if (hostile == Hostile.FLUSH_MALFORMED) {
            boolean badDb = p.chance(0.5);
            frame(out, b("SNAPFLUSH"), b(badDb ? p.one("-1", Integer.toString(databases), "99", "2147483648")
                    : Integer.toString(p.below(databases))), b(badDb ? Stamp.of(Hlc.pack(nowMillis - 60_000, 0), origin)
                    : p.one("", "zz", "0", "g".repeat(24), p.word(30))));
        }
        String last = null;
        int lastDb = 0;
        for (int i = 0; i < count; i++) {
            long hlc = Hlc.pack(nowMillis - 2000 + i, p.below(100));
            DumpCatalog.Value v = p.one(catalog.values().toArray(new DumpCatalog.Value[0]));
            int db = p.below(databases);
            String name = prefix + i;
            Hostile here = i == at && hostile != null && hostile.keyFrame() ? hostile : null;
            if (here == Hostile.SAME_KEY_TWICE && last != null) {
                name = last;
                db = lastDb;
            } else if (here == Hostile.EMPTY_KEY) {
                name = "";
            }
            List<byte[]> items = validItems(p, v, Stamp.of(hlc, origin), nowMillis, i % 2 == 0);
            Set<String> acceptable = new HashSet<>(Set.of(ABSENT));
            if (here == null || here == Hostile.SAME_KEY_TWICE || here == Hostile.EMPTY_KEY) {
                acceptable.add(v.content());
            } else {
                db = spoil(p, here, v, items, db, databases, nowMillis, origin, catalog);
                if (!here.refused) {
                    acceptable = null;
                }
            }
            if (here == Hostile.SAME_KEY_TWICE || here == Hostile.EMPTY_KEY) {
                for (Key k : keys) {
                    if (k.name().equals(name) && k.db() == db) {    // either frame may win: both read the same
                        acceptable.addAll(k.acceptable());
                        k.acceptable().addAll(acceptable);
                    }
                }
            }
            List<byte[]> f = new ArrayList<>(List.of(b("SNAPKEY"), b(db == Integer.MIN_VALUE ? "2147483648"
                    : Integer.toString(db)), b(name)));
            f.addAll(items);
            frame(out, f.toArray(new byte[0][]));
            keys.add(new Key(db, name, acceptable, hostile == null));
            last = name;
            lastDb = db;
        }
        frame(out, b("SNAPEND"), b(origin), b(Long.toString(end)));
        if (hostile == Hostile.KEY_AFTER_END) {
            DumpCatalog.Value v = catalog.values().get(p.below(catalog.values().size()));
            String name = prefix + "after";
            int db = p.below(databases);
            List<byte[]> f = new ArrayList<>(List.of(b("SNAPKEY"), b(Integer.toString(db)), b(name)));
            f.addAll(validItems(p, v, Stamp.of(Hlc.pack(nowMillis, 0), origin), nowMillis, false));
            frame(out, f.toArray(new byte[0][]));
            keys.add(new Key(db, name, Set.of(ABSENT), false));
        } else if (hostile == Hostile.END_TWICE) {
            frame(out, b("SNAPEND"), b(origin), b(Long.toString(end + 5)));
        } else if (hostile == Hostile.END_OTHER_ORIGIN) {
            frame(out, b("SNAPEND"), b(String.format("fb%06x", p.below(1 << 20))), b(Long.toString(p.between(1, 50))));
        } else if (hostile == Hostile.END_OWN_ORIGIN) {
            frame(out, b("SNAPEND"), b(selfId), b(Long.toString(1L << p.between(20, 52))));
        }
        byte[] frames = out.bytes();
        boolean complete = true;
        if (hostile == Hostile.CUT) {
            frames = java.util.Arrays.copyOf(frames, p.below(Math.max(1, frames.length)));
            complete = false;
        }
        byte[] all = new RespBytes().raw(sync).raw(frames).bytes();
        String kind = "snapshot-" + (hostile == null ? "valid" : hostile.name().toLowerCase().replace('_', '-'))
                + (flushes ? "+flush" : "");
        return new Case(new FuzzCase(number, FuzzCase.Target.SNAPSHOT, all, complete, kind), sync, frames,
                List.copyOf(keys), hostile, end);
    }

    /**
     * The items km_dumpkey would give for value {@code v} written whole at {@code stamp} (a stream's
     * facts, floors, newest XADD and group registers, with {@code streamFacts}).
     */
    private static List<byte[]> validItems(Pick p, DumpCatalog.Value v, String stamp, long nowMillis, boolean streamFacts) {
        String meta = p.chance(0.3) ? stamp + "|" + (nowMillis + 3_600_000L + p.below(1000)) : stamp;
        List<byte[]> items = new ArrayList<>(List.of(b(meta), v.dump()));
        if (List.of(MEMBER_TYPES).contains(v.type()) && p.chance(0.5)) {
            items.add(b(v.type()));
        } else if (v.type().equals("stream") && streamFacts) {
            // its floors: none; its newest XADD: at its register stamp; no group registers
            items.addAll(List.of(b("stream"), b(""), b(stamp), b(""), b(""), b("xstream")));
        }
        return items;
    }

    /** Makes the key frame's {@code items} hostile as {@code h} says; returns its database (changed for DB_OUT_OF_RANGE). */
    private static int spoil(Pick p, Hostile h, DumpCatalog.Value v, List<byte[]> items, int db, int databases,
                             long nowMillis, String origin, DumpCatalog catalog) {
        byte[] dump = v.dump();
        String stamp = Stamp.of(Hlc.pack(nowMillis - 1000, 0), origin);
        switch (h) {
            case DUMP_TRUNCATED -> items.set(1, java.util.Arrays.copyOf(dump, p.below(dump.length)));
            case DUMP_FLIPPED -> {
                byte[] d = dump.clone();
                d[p.below(d.length)] ^= (byte) p.between(1, 255);
                items.set(1, d);
            }
            case DUMP_RESIGNED -> {
                byte[] d = dump.clone();
                int flips = p.between(1, 4);
                for (int i = 0; i < flips && d.length > 11; i++) {
                    d[1 + p.below(d.length - 11)] = (byte) p.below(256);
                }
                items.set(1, DumpCatalog.resign(d));
            }
            case TYPE_MISMATCH -> {
                String declared = p.one(MEMBER_TYPES);
                while (declared.equals(v.type())) {
                    declared = p.one(MEMBER_TYPES);
                }
                items.subList(2, items.size()).clear();
                items.add(b(declared));
                int members = p.between(0, 2);
                for (int i = 0; i < members; i++) {
                    items.addAll(List.of(b("m" + i), b("+" + stamp), b(declared.equals("zset") ? "1.5" : "x" + i), b(""), b("")));
                }
            }
            case META_GARBAGE -> items.set(0, p.chance(0.3) ? p.binary(p.between(1, 40))
                    : b(p.one("abc", "||||||||||", stamp + "|x", stamp + "|1|2|3|4|5|6|7|8|9", "-", " ",
                    stamp + "||||" + origin + " " + stamp + " z y", stamp + "|||" + stamp + "|" + origin)));
            case META_HUGE -> items.set(0, b(p.one(stamp + "|99999999999999999999999", stamp + "|1e309",
                    stamp + "|-5", stamp + "||||" + origin + " " + stamp + " 1e309 0",
                    stamp + "||||" + origin + " " + stamp + " 1 -1e309")));
            case STAMP_AHEAD -> items.set(0, b(Stamp.of(Hlc.pack(nowMillis + 3_600_000L, 0), origin)));
            case STAMP_MALFORMED -> items.set(0, b(p.one("zz", "g".repeat(24), "1", p.word(20), "ffffffffffffffff",
                    Stamp.of(Hlc.pack(nowMillis, 0), "x"), stamp.toUpperCase())));
            case LIST_MALFORMED -> {
                items.subList(1, items.size()).clear();
                items.addAll(List.of(b(""), b("l"), b(p.one(origin + " 5", origin + " 18446744073709551616", "x", ""))));
                items.addAll(List.of(b(p.one("bad-id", "", "t", "h" + stamp, "tzz:1:2")), b("value")));
            }
            case MEMBERS_MALFORMED -> {
                if (v.type().equals("stream")) {
                    streamFacts(p, items, stamp);
                } else {
                    members(p, v, items, stamp, origin, catalog);
                }
            }
            case DB_OUT_OF_RANGE -> {
                return p.one(-1, databases, databases + 3, 2 * databases, 99, Integer.MIN_VALUE);
            }
            default -> throw new IllegalArgumentException(h.name());
        }
        return db;
    }

    /** Members of the wrong shape after the type item of a key merged per member. */
    private static void members(Pick p, DumpCatalog.Value v, List<byte[]> items, String stamp, String origin,
                                DumpCatalog catalog) {
        items.subList(2, items.size()).clear();
        DumpCatalog.Value hash = catalog.values().stream().filter(x -> x.type().equals(v.type())
                && List.of(MEMBER_TYPES).contains(x.type())).findFirst().orElse(catalog.values().get(3));
        items.set(1, hash.dump());
        items.add(b(hash.type()));
        switch (p.below(4)) {
            case 0 -> items.addAll(List.of(b("f0"), b("+" + stamp), b("v")));             // short of five
            case 1 -> items.addAll(List.of(b("f0"), b("?" + stamp), b("v"), b(""), b("")));
            case 2 -> items.addAll(List.of(b("f0"), b("+zz"), b("v"), b(""), b("")));
            default -> items.addAll(List.of(b("f0"), b("+" + stamp), b("v"), b(origin + " zz 1 0"), b("")));
        }
    }

    /** A stream's facts (trim floors, newest XADD, group registers) of the wrong shape, after its DUMP. */
    private static void streamFacts(Pick p, List<byte[]> items, String stamp) {
        items.subList(2, items.size()).clear();
        String floor = "";
        String xc = stamp;
        byte[] regs = new byte[0];
        switch (p.below(3)) {
            case 0 -> floor = p.one("abc def", "0-1 zz", "1-1 " + stamp + " 2-1", "1-1 " + "g".repeat(24));
            case 1 -> xc = p.one("zz", "g".repeat(24), "-");
            default -> regs = p.chance(0.5) ? p.binary(p.between(1, 30))
                    : new byte[] {(byte) 0x92, (byte) 0xa3, 'x', 'g', 'a', (byte) 0xa1, 'x'};
        }
        items.addAll(List.of(b("stream"), b(floor), b(xc), regs, b(""), b("xstream")));
    }

    private static void frame(RespBytes out, byte[]... items) {
        out.command(List.of(items));
    }

    private static byte[] b(String s) {
        return Pick.utf8(s);
    }
}
