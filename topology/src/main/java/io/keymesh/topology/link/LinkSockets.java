package io.keymesh.topology.link;

import io.keymesh.topology.tls.NodeTls;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * How this node opens a blocking connection to another node's client port (links to peers and
 * upstreams, health checks): plain TCP, or with {@code keymesh.tls.replication} TLS presenting this
 * node's certificate and verifying the server's against the CA (its host name is not checked, as
 * Redis does not by default). A handshake this node refuses is counted in {@link NodeTls#outgoing()}.
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
}
