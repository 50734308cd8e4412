package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Applies one received log batch to the local backend with {@code FCALL km_r} (the pulling side of peer and replica links). */
final class BatchApply {
    private BatchApply() {
    }

    /** Runs km_r for {@code batch} on {@code conn}; returns the position km_r reports for the batch's origin. */
    static long apply(BackendClient conn, String databases, LinkFrame.Batch batch) throws IOException {
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
            args.add(packedStamp(e));
            args.addAll(e.fields());
        }
        Object reply = conn.ok(args);
        return reply instanceof Long l ? l : Long.parseLong(Frames.text(reply));
    }

    private static final byte[] NONE = new byte[0];

    /**
     * The entry's stamp (its first field, t) as the apply library stores a bare register stamp, two
     * hex digits per byte, so that km_r need not pack it in Lua; empty when the library would not
     * pack it either (not an even number of lower-case hex digits starting "00" or "01").
     */
    static byte[] packedStamp(LogEntry e) {
        List<byte[]> f = e.fields();
        if (f.size() < 2 || f.get(0).length != 1 || f.get(0)[0] != 't') {
            return NONE;
        }
        byte[] t = f.get(1);
        if (t.length < 2 || t.length % 2 != 0 || t[0] != '0' || (t[1] != '0' && t[1] != '1')) {
            return NONE;
        }
        byte[] out = new byte[t.length / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(t[2 * i], 16);
            int lo = Character.digit(t[2 * i + 1], 16);
            if (hi < 0 || lo < 0 || Character.isUpperCase(t[2 * i]) || Character.isUpperCase(t[2 * i + 1])) {
                return NONE;
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }
}
