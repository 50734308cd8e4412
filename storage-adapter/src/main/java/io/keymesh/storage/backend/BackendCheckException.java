package io.keymesh.storage.backend;

/** Thrown when a backend Redis server is unreachable or unsuitable for keymesh; the message says why. */
public class BackendCheckException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** A failed check with a message naming the endpoint, what was expected and what was found. */
    public BackendCheckException(String message) {
        super(message);
    }

    /** A failed check caused by {@code cause}. */
    public BackendCheckException(String message, Throwable cause) {
        super(message, cause);
    }
}
