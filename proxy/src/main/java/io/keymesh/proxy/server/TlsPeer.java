package io.keymesh.proxy.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * The mark of a TLS connection whose client certificate was verified against
 * {@code keymesh.tls.ca-cert-file}: {@link #VERIFIED} is {@code true} on such a channel once its
 * handshake completed, and absent on plain connections and TLS ones without a client certificate.
 */
public final class TlsPeer {
    /** Set to TRUE on a channel whose client certificate verified. */
    public static final AttributeKey<Boolean> VERIFIED = AttributeKey.valueOf("keymesh.tls.verified");

    private TlsPeer() {
    }

    /** True when {@code channel} is TLS with a verified client certificate. */
    public static boolean verified(Channel channel) {
        return Boolean.TRUE.equals(channel.attr(VERIFIED).get());
    }
}
