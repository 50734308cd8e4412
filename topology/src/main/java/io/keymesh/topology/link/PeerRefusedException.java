package io.keymesh.topology.link;

/** The peer refused the link (wrong secret, clock, id) or answered the handshake unexpectedly. */
public class PeerRefusedException extends Exception {
    public PeerRefusedException(String message) {
        super(message);
    }
}
