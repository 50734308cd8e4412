package io.keymesh.topology.wire;

import java.util.Locale;

/**
 * The wire form of a timestamp: 16 lower-case hex digits of the packed HLC followed by the 8-character
 * origin node id. String order of two stamps is their total order.
 */
public final class Stamp {
    public static final int HLC_HEX_LENGTH = 16;

    private Stamp() {
    }

    public static String format(long hlc, String nodeId) {
        String hex = Long.toHexString(hlc);
        return "0".repeat(HLC_HEX_LENGTH - hex.length()) + hex + nodeId;
    }

    /** The packed HLC of a stamp; throws IllegalArgumentException when it is not one. */
    public static long hlc(String stamp) {
        if (stamp.length() < HLC_HEX_LENGTH) {
            throw new IllegalArgumentException("not a keymesh stamp: " + stamp);
        }
        String hex = stamp.substring(0, HLC_HEX_LENGTH);
        if (!hex.equals(hex.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("not a keymesh stamp: " + stamp);
        }
        try {
            return Long.parseUnsignedLong(hex, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a keymesh stamp: " + stamp, e);
        }
    }

    /** The node id part of a stamp. */
    public static String node(String stamp) {
        return stamp.substring(HLC_HEX_LENGTH);
    }
}
