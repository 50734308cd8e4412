package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A fake peer the node pulls from: it listens on a loopback port (the node's {@code keymesh.peers}),
 * answers the node's handshake ({@link LinkHandshake#serve}), then sends one case after another.
 * After a complete case it sends a probe, a log batch with one SET of {@link #PROBE_KEY} to the
 * case's number, and the node must either apply it (seen on the client port) or close the link
 * (its answer to a frame it refuses) and connect again; after an incomplete case the fake peer
 * closes the connection and the node must connect again. A reader thread takes the node's
 * acknowledgements. When the node's position for this fake origin gets near the end of the
 * sequence space (a case may send seq 2^63-1), the fake peer takes a new node id.
 */
final class FakePeer implements AutoCloseable {
    static final String PROBE_KEY = "fuzz:peer-probe";
    /** How long the node may take to apply the probe or to connect again. */
    static final int WAIT_MILLIS = 20_000;
    private static final long ROTATE_AT = 1L << 60;

    private final ServerSocket server;
    private final long seed;
    private final int databases;
    private final String secret;
    private RespSocket control;
    private int clientPort;
    private int idCounter;
    private String fakeId = nextId();
    private long hlcLast;
    private Socket socket;
    private OutputStream out;
    private long nextSeq;
    private volatile long acked;
    private volatile boolean closedByNode;
    private long sessions;

    FakePeer(long seed, int databases, String secret) throws IOException {
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.seed = seed;
        this.databases = databases;
        this.secret = secret;
    }

    /** The address the node pulls from. */
    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Connections the node opened to this fake peer. */
    long sessions() {
        return sessions;
    }

    /** Sends peer cases {@code from} .. {@code from + count - 1} to the node whose client port is {@code port}. */
    boolean run(int port, long from, long count, ClientPortFuzzer.Observer observer) throws IOException {
        if (control == null || clientPort != port) {
            control = new RespSocket(port, Duration.ofSeconds(10));
            clientPort = port;
        }
        for (long n = from; n < from + count; n++) {
            String failure = socket == null ? accept() : null;
            FuzzCase c = LinkCases.peer(seed, n, System.currentTimeMillis(), fakeId, nextSeq);
            if (failure != null) {
                observer.after(List.of(c), failure);
                return false;                             // no link to the node: the rest cannot run
            }
            if (!observer.after(List.of(c), send(c))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Waits for the node to connect and completes the handshake; a connection that ends during the
     * handshake (one the node gave up on while nobody accepted it) is skipped.
     */
    private String accept() {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        String last = "no connection";
        while (System.nanoTime() < deadline) {
            try {
                server.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
                Socket s = server.accept();
                sessions++;
                s.setTcpNoDelay(true);
                s.setSoTimeout(WAIT_MILLIS);
                RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
                socket = s;
                out = s.getOutputStream();
                long position = LinkHandshake.serve(in, out, fakeId, databases, secret);
                nextSeq = position + 1;
                acked = position;
                closedByNode = false;
                s.setSoTimeout(0);
                Thread reader = new Thread(() -> readAcks(in), "fuzz-peer-acks");
                reader.setDaemon(true);
                reader.start();
                return null;
            } catch (SocketTimeoutException e) {
                break;
            } catch (IOException | RuntimeException e) {
                last = e.toString();
                closeSession();
            }
        }
        closeSession();
        return "the node did not connect to its peer (again) and complete the handshake within " + WAIT_MILLIS
                + " ms (last attempt: " + last + "): its pull thread is dead or stuck";
    }

    private void readAcks(RespStreamReader in) {
        try {
            while (true) {
                if (Frames.decode(in.read()) instanceof LinkFrame.Ack ack) {
                    acked = Math.max(acked, ack.seq());
                }
            }
        } catch (IOException | RuntimeException e) {
            closedByNode = true;
        }
    }

    private String send(FuzzCase c) {
        try {
            out.write(c.bytes());
            out.flush();
        } catch (IOException e) {
            closeSession();                               // the node closed the link while the case was on its way
            return null;
        }
        if (!c.complete()) {
            closeSession();
            return null;
        }
        String token = "p-" + c.number();
        long seq = Math.max(nextSeq, acked + 1);
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                if (closedByNode) {
                    closeSession();
                    return null;
                }
                if (seq >= ROTATE_AT || seq < 0) {
                    fakeId = nextId();                    // this origin's positions are used up
                    closeSession();
                    return null;
                }
                probe(seq, token);
                long probeDeadline = Math.min(deadline, System.nanoTime() + 2_000_000_000L);
                while (System.nanoTime() < probeDeadline && !closedByNode && acked < seq) {
                    LockSupport.parkNanos(200_000);
                }
                if (token.equals(control.call("GET", PROBE_KEY))) {
                    nextSeq = seq + 1;
                    return null;
                }
                if (acked >= seq) {
                    seq = acked + 1;                      // the case moved the node's position to the probe's or past it
                }
            }
        } catch (IOException e) {
            closeSession();
            return null;
        }
        return "the node neither applied the probe batch (seq " + seq + ") after this case nor closed the link within "
                + WAIT_MILLIS + " ms";
    }

    /** One batch of one entry: a plain SET of the probe key to {@code token}, stamped now. */
    private void probe(long seq, String token) throws IOException {
        hlcLast = Math.max(Hlc.pack(System.currentTimeMillis(), 0), hlcLast + 1);
        LogEntry entry = new LogEntry(seq, List.of(Pick.utf8("t"), Pick.utf8(Stamp.of(hlcLast, fakeId)), Pick.utf8("k"),
                Pick.utf8(PROBE_KEY), Pick.utf8("s"), Pick.utf8(token)));
        out.write(new RespBytes().command(Frames.toArgs(new LinkFrame.Batch(fakeId, List.of(entry)))).bytes());
        out.flush();
    }

    private String nextId() {
        return String.format("fa11%04x", idCounter++);
    }

    private void closeSession() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            socket = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeSession();
        server.close();
        if (control != null) {
            control.close();
        }
    }
}
