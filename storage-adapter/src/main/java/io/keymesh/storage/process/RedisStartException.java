package io.keymesh.storage.process;

/** Thrown when the managed redis-server cannot be started or does not become ready; the message carries its log tail. */
public class RedisStartException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** A failed start described by {@code message}. */
    public RedisStartException(String message) {
        super(message);
    }

    /** A failed start caused by {@code cause}. */
    public RedisStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
