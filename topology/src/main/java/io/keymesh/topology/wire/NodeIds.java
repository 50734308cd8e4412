package io.keymesh.topology.wire;

/** Node ids: 8 lower-case hex characters. */
public final class NodeIds {
    private NodeIds() {
    }

    /** The length of every node id. */
    public static final int LENGTH = 8;

    public static boolean valid(String id) {
        if (id == null || id.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            if (!lowerHex(id.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether bytes {@code from} to {@code to} (exclusive) of {@code b} are a node id. */
    public static boolean valid(byte[] b, int from, int to) {
        if (to - from != LENGTH) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!lowerHex(b[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean lowerHex(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
    }
}
