package io.keymesh.topology.wire;

/** Node ids: 8 lower-case hex characters. */
public final class NodeIds {
    private NodeIds() {
    }

    public static boolean valid(String id) {
        if (id == null || id.length() != 8) {
            return false;
        }
        for (int i = 0; i < 8; i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
