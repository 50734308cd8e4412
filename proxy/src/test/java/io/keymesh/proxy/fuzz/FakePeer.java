package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.lettuce.core.api.StatefulRedisConnection;

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
            String failure = socket == null ? accept(null) : null;
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
     * Sends snapshot cases {@code from} .. {@code from + count - 1} ({@link SnapshotCases}), each on a
     * connection of its own whose PULL it answers with the case's {@code SYNC snapshot}. After a case
     * the node must have applied the probe batch that follows its SNAPEND (a case whose every frame
     * is valid) or closed the link with a reason in INFO {@code last_error} (a case the node must
     * refuse); every key the case sent must hold nothing or what a valid frame of it carried, in its
     * own database only ({@code backend}: the node's redis-server), and the node's position of its own
     * origin must not move. The case's keys are deleted after the check.
     */
    boolean runSnapshots(int port, long from, long count, String selfId, DumpCatalog catalog,
                         StatefulRedisConnection<String, String> backend, ClientPortFuzzer.Observer observer)
            throws IOException {
        if (control == null || clientPort != port) {
            control = new RespSocket(port, Duration.ofSeconds(10));
            clientPort = port;
        }
        for (long n = from; n < from + count; n++) {
            closeSession();                               // the node connects again and PULLs: the case answers with a snapshot
            long number = n;
            SnapshotCases.Case[] made = new SnapshotCases.Case[1];
            String ownBefore;
            try {
                ownBefore = ownPosition(backend, selfId);
            } catch (RuntimeException e) {
                observer.after(List.of(SnapshotCases.of(seed, n, System.currentTimeMillis(), fakeId, selfId, 0, catalog,
                        databases).fuzz()), "the node's redis-server does not answer: " + e);
                return false;
            }
            String failure = accept(position -> {
                made[0] = SnapshotCases.of(seed, number, System.currentTimeMillis(), fakeId, selfId, position, catalog,
                        databases);
                return made[0].sync();
            });
            if (failure != null || made[0] == null) {
                SnapshotCases.Case c = SnapshotCases.of(seed, n, System.currentTimeMillis(), fakeId, selfId, 0, catalog,
                        databases);
                observer.after(List.of(c.fuzz()), failure != null ? failure : "the handshake failed");
                return false;
            }
            SnapshotCases.Case c = made[0];
            String problem = settle(c);
            try {
                if (problem == null) {
                    problem = checkKeys(c, backend);
                }
                if (problem == null && !ownBefore.equals(ownPosition(backend, selfId))) {
                    problem = "the node's position of its own origin " + selfId + " moved from " + ownBefore + " to "
                            + ownPosition(backend, selfId);
                }
                deleteKeys(c);
            } catch (IOException | RuntimeException e) {
                problem = (problem == null ? "" : problem + "; then ") + "reading the node's keys failed: " + e;
            }
            if (!observer.after(List.of(c.fuzz()), problem)) {
                return false;
            }
        }
        return true;
    }

    /** Sends the case's frames, then waits for what the node must do with them; a description of what it did wrong, or null. */
    private String settle(SnapshotCases.Case c) {
        try {
            out.write(c.frames());
            out.flush();
        } catch (IOException e) {
            closeSession();                               // the node closed the link while the frames were on their way
        }
        if (!c.complete()) {
            closeSession();
            return null;
        }
        SnapshotCases.Hostile h = c.hostile();
        if (h != null && h.refused) {
            long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
            while (!closedByNode && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            boolean refused = closedByNode;
            closeSession();
            if (!refused) {
                return "the node did not refuse this snapshot (" + h + ") within " + WAIT_MILLIS + " ms";
            }
            long shown = System.nanoTime() + WAIT_MILLIS * 1_000_000L;  // the reason may follow the close by a moment
            while (lastError().isBlank()) {
                if (System.nanoTime() > shown) {
                    return "the node closed the link after this snapshot (" + h + ") but INFO replication shows no last_error";
                }
                LockSupport.parkNanos(2_000_000);
            }
            return null;
        }
        nextSeq = c.endSeq() + 1;
        acked = Math.max(acked, c.endSeq());
        String probe = awaitProbe(c.fuzz());
        if (probe == null && h == null && socket == null) {
            return "the node refused a snapshot of valid frames only: " + lastError();
        }
        return probe;
    }

    /** The last_error of the node's link to this fake peer, from INFO replication's peer0 line. */
    private String lastError() {
        try {
            String info = String.valueOf(control.call("INFO", "replication"));
            for (String line : info.split("\r?\n")) {
                int at = line.indexOf("last_error=");
                if (line.startsWith("peer0:") && at >= 0) {
                    return line.substring(at + "last_error=".length());
                }
            }
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Each key of the case holds nothing or what a valid frame carried, and exists in no other database. */
    private String checkKeys(SnapshotCases.Case c, StatefulRedisConnection<String, String> backend) throws IOException {
        for (SnapshotCases.Key k : c.keys()) {
            if (k.db() >= 0 && k.db() < databases) {
                control.call("SELECT", Integer.toString(k.db()));
                String content = DumpCatalog.content(control, k.name());
                control.call("SELECT", "0");
                if (k.acceptable() != null && !k.acceptable().contains(content)) {
                    return "key \"" + k.name() + "\" of db " + k.db() + " holds " + RespBytes.escape(Pick.utf8(content), 300)
                            + ", which no valid frame of this case carried";
                }
                if (k.required() && content.equals(SnapshotCases.ABSENT)) {
                    return "key \"" + k.name() + "\" of db " + k.db() + " is missing after a snapshot of valid frames only";
                }
            }
            for (int b = 0; b <= 2 * databases && !k.name().isEmpty(); b++) {     // "" is every case's empty key
                if (b == k.db() || b == databases + k.db()) {
                    continue;
                }
                backend.sync().select(b);
                if (backend.sync().exists(k.name()) > 0) {
                    return "key \"" + k.name() + "\" sent for db " + k.db() + " is in the node's redis-server db " + b;
                }
            }
        }
        return null;
    }

    private void deleteKeys(SnapshotCases.Case c) throws IOException {
        for (SnapshotCases.Key k : c.keys()) {
            if (k.db() >= 0 && k.db() < databases) {
                control.call("SELECT", Integer.toString(k.db()));
                control.call("DEL", k.name());
            }
        }
        control.call("SELECT", "0");
    }

    private String ownPosition(StatefulRedisConnection<String, String> backend, String selfId) {
        backend.sync().select(2 * databases);
        return String.valueOf(backend.sync().hget("km:pos", selfId));
    }

    /**
     * Waits for the node to connect and completes the handshake; a connection that ends during the
     * handshake (one the node gave up on while nobody accepted it) is skipped.
     */
    private String accept(java.util.function.LongFunction<byte[]> sync) {
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
                long position = sync == null ? LinkHandshake.serve(in, out, fakeId, databases, secret)
                        : LinkHandshake.serve(in, out, fakeId, databases, secret, sync);
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
                if (Frames.decode(in.read()) instanceof LinkFrame.Ack ack && ack.origin().equals(fakeId)) {
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
        return awaitProbe(c);
    }

    /**
     * Sends probe batches after case {@code c} until the node applied one (null) or closed the link
     * (null; the session is closed too); a description when it did neither in time.
     */
    private String awaitProbe(FuzzCase c) {
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
