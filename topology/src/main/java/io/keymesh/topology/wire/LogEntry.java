package io.keymesh.topology.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One entry of an origin's replication log: its sequence and its fields as stored (name, value,
 * name, value ...). Only {@code t} (a stamp) and {@code x} (the txn id) mean anything outside
 * the apply library.
 */
public record LogEntry(long seq, List<byte[]> fields) {
    public LogEntry {
        if (fields.size() % 2 != 0) {
            throw new IllegalArgumentException("log entry " + seq + " has an odd number of field items");
        }
        fields = List.copyOf(fields);
    }

    /**
     * The entry's newest stamp, or null when it has none: an entry has one field t, or one per SET
     * when it logs several plain SETs, and stamps order as strings.
     */
    public String stamp() {
        byte[] newest = null;
        for (int i = 0; i < fields.size(); i += 2) {
            byte[] name = fields.get(i);
            if (name.length == 1 && name[0] == 't') {
                byte[] v = fields.get(i + 1);
                if (newest == null || Arrays.compareUnsigned(v, newest) > 0) {
                    newest = v;
                }
            }
        }
        return newest == null ? null : new String(newest, StandardCharsets.US_ASCII);
    }

    /**
     * The values of the entry's fields that the apply library takes as stamps: every {@code t} (a
     * write's stamp) and {@code q} (the flush epoch an increment counts from), in order, those packed
     * in its field {@code m} included ({@link PackedStrings}), each byte a char (ISO-8859-1), so bytes
     * that are not a stamp's stay visible as such. A malformed {@code m} (which {@link LogEntryGrammar}
     * refuses) throws {@link IllegalArgumentException}.
     */
    public List<String> stampFields() {
        List<String> out = new ArrayList<>(2);
        stamps(fields, out, false);
        return out;
    }

    private static void stamps(List<byte[]> fields, List<String> out, boolean packed) {
        for (int i = 0; i < fields.size(); i += 2) {
            byte[] name = fields.get(i);
            if (name.length == 1 && (name[0] == 't' || name[0] == 'q')) {
                out.add(new String(fields.get(i + 1), StandardCharsets.ISO_8859_1));
            } else if (name.length == 1 && name[0] == 'm' && !packed) {
                stamps(PackedStrings.unpack(fields.get(i + 1)), out, true);
            }
        }
    }

    /** How many writes the entry logs: one per stamp (an entry of plain SETs has one per SET), at least one. */
    public int writes() {
        int n = 0;
        for (int i = 0; i < fields.size(); i += 2) {
            byte[] name = fields.get(i);
            if (name.length == 1 && name[0] == 't') {
                n++;
            }
        }
        return Math.max(1, n);
    }

    /** The entry's txn id (field x); "0" (no transaction) when absent. */
    public String txn() {
        byte[] v = field("x");
        return v == null ? "0" : new String(v, StandardCharsets.US_ASCII);
    }

    /** Bytes the entry's fields take (a size estimate for batching). */
    public int sizeBytes() {
        int n = 16;
        for (byte[] f : fields) {
            n += f.length + 8;
        }
        return n;
    }

    private byte[] field(String name) {
        byte[] key = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < fields.size(); i += 2) {
            if (Arrays.equals(fields.get(i), key)) {
                return fields.get(i + 1);
            }
        }
        return null;
    }
}
