package io.keymesh.topology.wire;

/** Bytes on a link that are not valid RESP; the link is closed. */
public final class RespFormatException extends RuntimeException {
    public RespFormatException(String message) {
        super(message);
    }
}
