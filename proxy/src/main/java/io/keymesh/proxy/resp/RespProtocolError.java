package io.keymesh.proxy.resp;

/**
 * Emitted by {@link RespFrameDecoder} in place of a request when the client's bytes break the
 * protocol; the session answers with {@link #message()} and closes the connection, like Redis.
 */
public record RespProtocolError(String message) {
}
