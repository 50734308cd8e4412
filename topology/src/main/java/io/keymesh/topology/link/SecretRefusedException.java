package io.keymesh.topology.link;

/** The node a link pulls from could not prove the cluster secret: the puller refuses it. */
public final class SecretRefusedException extends PeerRefusedException {
    public SecretRefusedException(String message) {
        super(message);
    }
}
