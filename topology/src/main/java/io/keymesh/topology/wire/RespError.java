package io.keymesh.topology.wire;

/** An error reply ("-ERR ..."), as parsed from the wire. */
public record RespError(String message) {
    /** True when the error starts with {@code code} (e.g. "NOSCRIPT"). */
    public boolean is(String code) {
        return message.equals(code) || message.startsWith(code + " ");
    }
}
