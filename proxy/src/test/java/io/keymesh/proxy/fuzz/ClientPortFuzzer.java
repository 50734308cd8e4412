package io.keymesh.proxy.fuzz;

import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Sends client-port cases to the node. Complete cases share a connection, up to
 * {@link #BATCH_CASES} at a time, followed by {@code RESET} and {@code PING <token>}: the batch is
 * answered once the token comes back (a connection the node closes, after QUIT or a protocol
 * error, is an answer too; the next batch opens a new one). An incomplete case gets a connection of
 * its own: its bytes, then end of stream, and the node must close the connection. The bytes are
 * written on a thread of their own, in a few pieces now and then (split reads), while replies are
 * read. No reply or close within {@link #REPLY_TIMEOUT_MILLIS} is a finding (a hang).
 */
final class ClientPortFuzzer implements AutoCloseable {
    static final int BATCH_CASES = 32;
    static final int BATCH_BYTES = 256 * 1024;
    static final int REPLY_TIMEOUT_MILLIS = 10_000;
    private static final long SPLIT_SALT = 0x5EED5EEDL;

    /** Told about every batch: the cases and what went wrong sending them (null: answered). */
    interface Observer {
        /** Returns false to stop the run. */
        boolean after(List<FuzzCase> cases, String failure);
    }

    private final int port;
    private final long seed;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-client-writer");
        t.setDaemon(true);
        return t;
    });
    private Socket socket;
    private RespStreamReader in;
    private long closedByNode;
    private long connections;

    ClientPortFuzzer(int port, long seed) {
        this.port = port;
        this.seed = seed;
    }

    /** Connections the node closed (QUIT, protocol errors, incomplete cases). */
    long closedByNode() {
        return closedByNode;
    }

    long connections() {
        return connections;
    }

    /** Sends cases {@code from} .. {@code from + count - 1}; false when the observer stopped the run. */
    boolean run(long from, long count, Observer observer) {
        List<FuzzCase> batch = new ArrayList<>();
        int bytes = 0;
        for (long n = from; n < from + count; n++) {
            FuzzCase c = ClientCases.generate(seed, n);
            if (!c.complete()) {
                if (!batch.isEmpty() && !observer.after(List.copyOf(batch), sendBatch(batch))) {
                    return false;
                }
                batch.clear();
                bytes = 0;
                if (!observer.after(List.of(c), sendAlone(c))) {
                    return false;
                }
                continue;
            }
            batch.add(c);
            bytes += c.bytes().length;
            if (batch.size() >= BATCH_CASES || bytes >= BATCH_BYTES || ClientCases.endsBatch(c)) {
                if (!observer.after(List.copyOf(batch), sendBatch(batch))) {
                    return false;
                }
                batch.clear();
                bytes = 0;
            }
        }
        return batch.isEmpty() || observer.after(List.copyOf(batch), sendBatch(batch));
    }

    private String sendBatch(List<FuzzCase> batch) {
        String token = "fuzz-sync-" + batch.get(0).number();
        byte[] sync = sync(token);
        try {
            connect();
        } catch (IOException e) {
            return "cannot connect to the client port: " + e;
        }
        Socket s = socket;
        Future<?> written = writer.submit(() -> {
            OutputStream out = s.getOutputStream();
            for (FuzzCase c : batch) {
                write(out, c);
            }
            out.write(sync);
            return null;
        });
        try {
            byte[] expected = token.getBytes(StandardCharsets.US_ASCII);
            while (true) {
                Object value = in.read();
                if (value instanceof byte[] b && Arrays.equals(b, expected)) {
                    return null;
                }
            }
        } catch (SocketTimeoutException e) {
            disconnect();
            return "no reply to PING " + token + " within " + REPLY_TIMEOUT_MILLIS + " ms after the batch (a hang)";
        } catch (EOFException e) {
            closedByNode++;
            disconnect();
            return null;
        } catch (IOException e) {
            closedByNode++;                              // reset by the node: closed
            disconnect();
            return null;
        } catch (RuntimeException e) {
            disconnect();
            return "unreadable reply: " + e;
        } finally {
            settle(written);
        }
    }

    private String sendAlone(FuzzCase c) {
        try (Socket s = open()) {
            Future<?> written = writer.submit(() -> {
                write(s.getOutputStream(), c);
                s.shutdownOutput();
                return null;
            });
            try {
                InputStream raw = s.getInputStream();
                byte[] buf = new byte[64 * 1024];
                while (raw.read(buf) >= 0) {
                    // replies and errors are not checked here; the node must end the connection
                }
                closedByNode++;
                return null;
            } catch (SocketTimeoutException e) {
                return "connection not closed within " + REPLY_TIMEOUT_MILLIS + " ms of the client's end of stream (a hang)";
            } catch (IOException e) {
                closedByNode++;
                return null;                             // reset by the node: closed
            } finally {
                s.close();
                settle(written);
            }
        } catch (IOException e) {
            return "cannot connect to the client port: " + e;
        }
    }

    private void write(OutputStream out, FuzzCase c) throws IOException {
        Pick split = new Pick(seed ^ SPLIT_SALT, c.number());
        byte[] b = c.bytes();
        if (b.length < 2 || !split.chance(0.3)) {
            out.write(b);
            return;
        }
        int pieces = split.between(2, 5);
        int at = 0;
        for (int i = 1; i < pieces && at < b.length - 1; i++) {
            int next = split.between(at + 1, b.length - 1);
            out.write(b, at, next - at);
            out.flush();
            at = next;
        }
        out.write(b, at, b.length - at);
    }

    private static byte[] sync(String token) {
        return ("*1\r\n$5\r\nRESET\r\n*2\r\n$4\r\nPING\r\n$" + token.length() + "\r\n" + token + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private void connect() throws IOException {
        if (socket == null) {
            socket = open();
            in = new RespStreamReader(socket.getInputStream(), RespParser.standard());
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(REPLY_TIMEOUT_MILLIS);
        connections++;
        return s;
    }

    private void disconnect() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            socket = null;
            in = null;
        }
    }

    /** Waits for a write to end (it fails when the node closed the connection first, which is fine). */
    private static void settle(Future<?> written) {
        try {
            written.get(REPLY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            written.cancel(true);
        }
    }

    @Override
    public void close() {
        disconnect();
        writer.shutdownNow();
    }
}
