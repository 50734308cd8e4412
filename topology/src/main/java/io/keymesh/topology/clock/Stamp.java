package io.keymesh.topology.clock;

import java.nio.charset.StandardCharsets;

/**
 * The wire form of a write's timestamp (docs/design/replication.md, "Timestamps"): 16 lower-case hex
 * digits of the packed HLC followed by the 8-character origin node id. Comparing two stamps as strings
 * orders them by HLC, then node id.
 */
public final class Stamp {
    public static final int HLC_DIGITS = 16;
    /** The shortest stamp: the HLC's digits and an 8-character node id. */
    public static final int LENGTH_MIN = HLC_DIGITS + 8;
    private static final int QUOTED_MAX = 40;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private Stamp() {
    }

    /** The stamp of {@code hlc} issued by {@code nodeId}. */
    public static String of(long hlc, String nodeId) {
        byte[] out = new byte[HLC_DIGITS + nodeId.length()];
        writeHlc(hlc, out, 0);
        for (int i = 0; i < nodeId.length(); i++) {
            out[HLC_DIGITS + i] = (byte) nodeId.charAt(i);
        }
        return new String(out, StandardCharsets.US_ASCII);
    }

    /** Writes the 16 hex digits of {@code hlc} into {@code out} at {@code at}. */
    public static void writeHlc(long hlc, byte[] out, int at) {
        for (int i = HLC_DIGITS - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) (hlc & 0xf)];
            hlc >>>= 4;
        }
    }

    /** The packed HLC of a stamp (its first 16 hex digits). */
    public static long hlc(String stamp) {
        if (!valid(stamp)) {
            throw new IllegalArgumentException("not a stamp (16 lower-case hex digits, then the node id): " + stamp);
        }
        return Long.parseUnsignedLong(stamp.substring(0, HLC_DIGITS), 16);
    }

    /**
     * Whether {@code s} is a stamp: the 16 lower-case hex digits of its HLC, then the node id (8
     * lower-case hex characters) and the "0"s a tie-break may append, so nothing but lower-case hex
     * and at least {@link #LENGTH_MIN} characters. Only such a value may be stored or compared as a
     * stamp: the apply library keeps stamps inside "|" and " " separated metadata.
     */
    public static boolean valid(String s) {
        if (s == null || s.length() < LENGTH_MIN) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!lowerHex(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether bytes {@code from} to {@code to} (exclusive) of {@code b} are a stamp, as {@link #valid(String)}. */
    public static boolean valid(byte[] b, int from, int to) {
        if (to - from < LENGTH_MIN) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!lowerHex(b[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean lowerHex(int ch) {
        return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f';
    }

    /** {@code s} for a log line or an error: quoted, bytes outside printable ASCII as \xNN, cut after 40 characters. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < QUOTED_MAX; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
                out.append(ch);
            } else {
                out.append(String.format("\\x%02x", (int) ch & 0xff));
            }
        }
        return out.append(s.length() > QUOTED_MAX ? "\"... (" + s.length() + " characters)" : "\"").toString();
    }

    /** The origin node id of a stamp (what follows the HLC digits). */
    public static String origin(String stamp) {
        return stamp.substring(HLC_DIGITS);
    }
}
