package io.keymesh.topology.link;

/** The backend answered a link's call with an error reply. */
public final class BackendCallException extends RuntimeException {
    public BackendCallException(String message) {
        super(message);
    }
}
