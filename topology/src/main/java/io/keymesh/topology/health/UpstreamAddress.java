package io.keymesh.topology.health;

import java.util.Objects;

/**
 * Where an upstream primary's keymesh client port is: a host (name, IPv4 or IPv6 literal) and a TCP port.
 *
 * @param host host name or address literal, without brackets
 * @param port TCP port, 1..65535
 */
public record UpstreamAddress(String host, int port) {

    /** Validates the host and port. */
    public UpstreamAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("upstream host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("upstream port must be in 1..65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port}, or {@code [v6-address]:port} for IPv6 literals.
     *
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static UpstreamAddress parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.trim();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [address]:port, got \"" + text + "\"");
            }
            host = t.substring(1, close);
            port = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected host:port, got \"" + text + "\"");
            }
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
        }
        try {
            return new UpstreamAddress(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port is not a number in \"" + text + "\"");
        }
    }

    /** The address as {@link #parse(String)} reads it. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
