package io.keymesh.proxy.fuzz;

/**
 * One generated input: its number in the run, where it goes, its bytes, and whether they are
 * complete requests (or frames) after which the connection may carry the next case; an incomplete
 * case gets a connection of its own, which is closed after it.
 */
record FuzzCase(long number, Target target, byte[] bytes, boolean complete, String kind) {

    /** Where a case is sent. */
    enum Target {
        /** The node's client port, as a client. */
        CLIENT,
        /** The frames a fake peer sends to the node that pulls from it, after a valid handshake. */
        PEER,
        /** The frames a fake replica sends to the node that serves it, after a valid handshake. */
        REPLICA,
        /** A snapshot a fake peer sends after answering the node's PULL with {@code SYNC snapshot}. */
        SNAPSHOT
    }

    /** The case for a report: number, target, kind, size and the bytes (escaped, the first {@code max}). */
    String describe(int max) {
        return "case " + number + " (" + target + ", " + kind + ", " + bytes.length + " bytes"
                + (complete ? "" : ", incomplete") + "): " + RespBytes.escape(bytes, max);
    }
}
