package io.keymesh.topology.link;

/** The peer refused the link (wrong secret, clock, id) or answered the handshake unexpectedly. */
public final class PeerRefusedException extends Exception {
    public PeerRefusedException(String message) {
        super(message);
    }
}
