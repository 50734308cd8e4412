package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Applies one received log batch to the local backend with {@code FCALL km_r} (the pulling side of peer and replica links). */
final class BatchApply {
    private BatchApply() {
    }

    /** Runs km_r for {@code batch} on {@code conn}; returns the position km_r reports for the batch's origin. */
    static long apply(BackendClient conn, String databases, LinkFrame.Batch batch, TimeSource time) throws IOException {
        List<Object> args = new ArrayList<>(8 + batch.entries().size() * 8);
        args.add("FCALL");
        args.add("km_r");
        args.add("0");
        args.add(databases);
        args.add(batch.origin());
        args.add(Integer.toString(batch.entries().size()));
        for (LogEntry e : batch.entries()) {
            args.add(Long.toString(e.seq()));
            args.add(Integer.toString(e.fields().size() / 2));
            args.add(packedStamps(e));
            args.addAll(e.fields());
        }
        // a flush the logs cannot say what to keep for stops km_r after the entries before it; the db is
        // gone over ahead of it step by step, then km_r takes the batch again
        Object reply = FlushScan.call(conn, databases, args, time);
        return reply instanceof Long l ? l : Long.parseLong(Frames.text(reply));
    }

    /**
     * The entry's stamps (its fields t, in order) as the apply library stores a bare register stamp,
     * two hex digits per byte, so that km_r need not pack them in Lua: per stamp one length byte,
     * then its packed bytes; length 0 where the library would not pack it either (not an even
     * number of lower-case hex digits starting "00" or "01").
     */
    static byte[] packedStamps(LogEntry e) {
        List<byte[]> f = e.fields();
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
