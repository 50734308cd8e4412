package io.keymesh.topology.link;

import io.keymesh.topology.tls.NodeTls;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * How this node connects to another node's client port: plain TCP, or with {@code
 * keymesh.tls.replication} TLS presenting this node's certificate and verifying the server's against
 * the CA (its host name is not checked, as Redis does not by default). Links to peers and upstreams
 * run over Netty ({@link #sslHandler}); health checks open a blocking socket ({@link #connect}). A
 * handshake this node refuses is counted in {@link NodeTls#outgoing()}.
 */
public final class LinkSockets {
    private static final LinkSockets PLAIN = new LinkSockets(null);

    private final NodeTls tls;

    private LinkSockets(NodeTls tls) {
        this.tls = tls;
    }

    /** Plain TCP. */
    public static LinkSockets plain() {
        return PLAIN;
    }

    /** TLS with {@code tls}'s current certificate at each connection. */
    public static LinkSockets tls(NodeTls tls) {
        return new LinkSockets(tls);
    }

    /** An unconnected TCP socket (no delay, keepalive); a caller may keep it to close it from another thread. */
    public Socket create() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        return s;
    }

    /**
     * Connects {@code raw} (from {@link #create()}) to {@code host:port} and, with TLS, completes the
     * handshake within {@code timeoutMillis}; returns the socket to talk on. {@code raw} is closed on failure.
     */
    public Socket connect(Socket raw, String host, int port, int timeoutMillis) throws IOException {
        try {
            raw.connect(new InetSocketAddress(host, port), timeoutMillis);
            if (tls == null) {
                return raw;
            }
            SSLSocket s = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, host, port, true);
            tls.configure(s);
            s.setUseClientMode(true);
            int before = raw.getSoTimeout();
            s.setSoTimeout(timeoutMillis);
            try {
                s.startHandshake();
            } catch (SSLException e) {
                tls.outgoing().refused(host + ":" + port, String.valueOf(e.getMessage()));
                throw new SSLException("TLS handshake with " + host + ":" + port + " failed: " + e.getMessage(), e);
            }
            s.setSoTimeout(before);
            return s;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * With TLS, the handler that runs it on a Netty channel this node opened to {@code host:port}
     * (client mode, the configured protocols and ciphers, the handshake bounded by {@code
     * timeoutMillis}); null for plain TCP.
     */
    public SslHandler sslHandler(String host, int port, int timeoutMillis) {
        if (tls == null) {
            return null;
        }
        SSLEngine engine = tls.context().createSSLEngine(host, port);
        engine.setUseClientMode(true);
        String[] protocols = tls.protocols();
        if (protocols != null) {
            engine.setEnabledProtocols(protocols);
        }
        String[] ciphers = tls.ciphers();
        if (ciphers != null) {
            engine.setEnabledCipherSuites(ciphers);
        }
        SslHandler handler = new SslHandler(engine);
        handler.setHandshakeTimeoutMillis(timeoutMillis);
        return handler;
    }

    /**
     * Counts (and logs, rate-limited) a TLS handshake with {@code host:port} that failed on a Netty
     * channel because of what the other side presented or answered; one the connection cut short
     * (closed, reset, timed out) is no refusal.
     */
    public void refused(String host, int port, Throwable cause) {
        if (tls != null && isRefusal(cause)) {
            tls.outgoing().refused(host + ":" + port, String.valueOf(cause.getMessage()));
        }
    }

    private static boolean isRefusal(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException && !(t instanceof SSLException) || t instanceof SslHandshakeTimeoutException) {
                return false;
            }
        }
        return !String.valueOf(cause.getMessage()).contains("closed while");
    }
}
