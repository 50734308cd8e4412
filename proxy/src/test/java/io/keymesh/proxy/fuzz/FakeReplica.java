package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A fake replica that pulls from the node ({@link LinkHandshake#pull}, from the node's current
 * positions so that no snapshot or old log is sent) and then sends one case after another. After a
 * complete case the control writes {@link #PROBE_KEY} on the node's client port, and the node must
 * either stream that write to the fake replica or close the link (its answer to a frame it
 * refuses); after an incomplete case the fake replica closes the connection and opens a new one.
 */
final class FakeReplica implements AutoCloseable {
    static final String PROBE_KEY = "fuzz:replica-probe";
    static final int WAIT_MILLIS = 20_000;
    private static final String REPLICA_ID = "fe11ca00";

    private final int port;
    private final long seed;
    private final String secret;
    private final Supplier<Map<String, Long>> positions;
    private final RespSocket control;
    private Socket socket;
    private OutputStream out;
    private String nodeId = "";
    private volatile String probeSeen;
    private volatile boolean closedByNode;
    private long sessions;

    /** {@code positions}: the node's log positions per origin, read from its backend. */
    FakeReplica(int port, long seed, String secret, Supplier<Map<String, Long>> positions) throws IOException {
        this.port = port;
        this.seed = seed;
        this.secret = secret;
        this.positions = positions;
        this.control = new RespSocket(port, Duration.ofSeconds(10));
    }

    long sessions() {
        return sessions;
    }

    /** Sends replica cases {@code from} .. {@code from + count - 1}. */
    boolean run(long from, long count, ClientPortFuzzer.Observer observer) {
        for (long n = from; n < from + count; n++) {
            String failure = socket == null ? open() : null;
            FuzzCase c = LinkCases.replica(seed, n, nodeId);
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

    private String open() {
        try {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(WAIT_MILLIS);
            socket = s;
            sessions++;
            out = s.getOutputStream();
            RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
            nodeId = LinkHandshake.pull(in, out, REPLICA_ID, secret, positions.get());
            closedByNode = false;
            s.setSoTimeout(0);
            Thread reader = new Thread(() -> readFrames(in), "fuzz-replica-frames");
            reader.setDaemon(true);
            reader.start();
            return null;
        } catch (IOException | RuntimeException e) {
            closeSession();
            return "the node's replica handshake went wrong: " + e;
        }
    }

    private void readFrames(RespStreamReader in) {
        try {
            while (true) {
                if (Frames.decode(in.read()) instanceof LinkFrame.Batch batch) {
                    for (LogEntry e : batch.entries()) {
                        for (byte[] field : e.fields()) {
                            if (field.length > 2 && field[0] == 'r' && field[1] == '-') {
                                probeSeen = new String(field, java.nio.charset.StandardCharsets.US_ASCII);
                            }
                        }
                    }
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
            closeSession();
            return null;
        }
        if (!c.complete()) {
            closeSession();
            return null;
        }
        String token = "r-" + c.number();
        try {
            Object set = control.call("SET", PROBE_KEY, token);
            if (!"OK".equals(set)) {
                return "SET " + PROBE_KEY + " on the client port answered " + set;
            }
        } catch (IOException e) {
            return "the control connection failed: " + e;
        }
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (token.equals(probeSeen)) {
                return null;
            }
            if (closedByNode) {
                closeSession();
                return null;
            }
            LockSupport.parkNanos(200_000);
        }
        return "the node neither streamed the probe write after this case to the replica nor closed the link within "
                + WAIT_MILLIS + " ms";
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
    public void close() {
        closeSession();
        control.close();
    }
}
