package io.keymesh.proxy.server;

import io.keymesh.topology.tls.NodeTls;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLContext;
import java.util.Arrays;

/**
 * Netty's side of the node's TLS: {@link SslContext}s (JDK provider) over the current {@link NodeTls}
 * context, rebuilt when the certificate files were reloaded. The server side (the TLS port) asks for
 * client certificates as {@code keymesh.tls.auth-clients} says; the client side (a replica forwarding
 * writes to its upstream's TLS port) presents the node's certificate and verifies the upstream's
 * against the CA, like the links.
 */
public final class NettyTls {
    private final NodeTls tls;
    private final ClientAuth clientAuth;
    private SSLContext builtServer;
    private SslContext server;
    private SSLContext builtClient;
    private SslContext client;

    public NettyTls(NodeTls tls) {
        this.tls = tls;
        this.clientAuth = switch (tls.settings().authClients()) {
            case YES -> ClientAuth.REQUIRE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case NO -> ClientAuth.NONE;
        };
    }

    /** The certificate material and refusal counts these contexts are built from. */
    public NodeTls nodeTls() {
        return tls;
    }

    /** An SslHandler for a new TLS port connection, with the current certificate. */
    SslHandler serverHandler(ByteBufAllocator alloc) {
        return serverContext().newHandler(alloc);
    }

    /** An SslHandler for a connection this node opens to another node's TLS port. */
    public SslHandler clientHandler(ByteBufAllocator alloc, String host, int port) {
        return clientContext().newHandler(alloc, host, port);
    }

    private synchronized SslContext serverContext() {
        SSLContext current = tls.context();
        if (current != builtServer) {
            server = netty(current, false, clientAuth);
            builtServer = current;
        }
        return server;
    }

    private synchronized SslContext clientContext() {
        SSLContext current = tls.context();
        if (current != builtClient) {
            client = netty(current, true, ClientAuth.NONE);
            builtClient = current;
        }
        return client;
    }

    private SslContext netty(SSLContext context, boolean clientMode, ClientAuth auth) {
        String[] ciphers = tls.ciphers();
        return new JdkSslContext(context, clientMode, ciphers == null ? null : Arrays.asList(ciphers),
                IdentityCipherSuiteFilter.INSTANCE, null, auth, tls.protocols(), false);
    }
}
