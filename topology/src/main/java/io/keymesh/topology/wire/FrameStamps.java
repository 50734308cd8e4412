package io.keymesh.topology.wire;

import io.keymesh.topology.clock.Stamp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The stamps a received frame carries outside a batch, which the pulling side observes in its
 * clock when the frame arrives (a peer too far ahead is refused before anything is applied): a
 * heartbeat's stamp, a snapshot's flush epoch, a function library's record stamp ("<stamp> <code>")
 * and the key-level stamps of a snapshot key's metadata (register, expiry register, delete and
 * counter stamps, "t|e|et|d|counters|..." or the register stamp packed, as the apply library's
 * {@code meta_str} writes it). A batch's stamps ({@link #batch}) are observed as it is applied.
 */
public final class FrameStamps {
    private FrameStamps() {
    }

    /** The stamps of {@code frame} to observe (empty for frames that carry none). */
    public static List<String> of(LinkFrame frame) {
        if (frame instanceof LinkFrame.Heartbeat hb) {
            return List.of(hb.stamp());
        }
        if (frame instanceof LinkFrame.SnapshotFlush flush) {
            return List.of(flush.stamp());
        }
        if (frame instanceof LinkFrame.SnapshotLibrary library) {
            String record = library.record();
            int space = record.indexOf(' ');
            return List.of(space < 0 ? record : record.substring(0, space));
        }
        if (frame instanceof LinkFrame.SnapshotKey key && !key.items().isEmpty()) {
            return metadata(key.items().get(0));
        }
        return List.of();
    }

    /** Every stamp field of every entry of a batch ({@link LogEntry#stampFields}), which the pulling side observes before applying it. */
    public static List<String> batch(List<LogEntry> entries) {
        List<String> out = new ArrayList<>(entries.size());
        for (LogEntry e : entries) {
            out.addAll(e.stampFields());
        }
        return out;
    }

    /** The key-level stamps of a snapshot key's metadata string (fields that hold no stamp are skipped). */
    static List<String> metadata(byte[] meta) {
        List<String> out = new ArrayList<>();
        if (meta.length > 0 && (meta[0] & 0xff) < 0x20) {
            StringBuilder hex = new StringBuilder(2 * meta.length);
            for (byte b : meta) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            if (Stamp.valid(hex.toString())) {
                out.add(hex.toString());
            }
            return out;
        }
        String[] fields = new String(meta, StandardCharsets.ISO_8859_1).split("\\|", -1);
        for (int i : new int[] {0, 2, 3}) {
            if (i < fields.length && Stamp.valid(fields[i])) {
                out.add(fields[i]);
            }
        }
        if (fields.length > 4) {
            String[] words = fields[4].trim().split(" +");
            for (int i = 1; i < words.length; i += 4) {      // "origin stamp total seen" per origin
                if (Stamp.valid(words[i])) {
                    out.add(words[i]);
                }
            }
        }
        return out;
    }
}
