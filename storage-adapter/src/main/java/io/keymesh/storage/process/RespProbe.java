package io.keymesh.storage.process;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A minimal, dependency-free RESP client for one command over a unix socket, used for readiness
 * probes and stale-server shutdown before any Lettuce machinery exists. Understands simple strings,
 * errors, integers and bulk strings; nothing else is needed here.
 */
final class RespProbe {

    /** A parsed reply. */
    sealed interface Reply permits Simple, Error, Int, Bulk, Closed {
    }

    /** +OK style reply. */
    record Simple(String value) implements Reply {
    }

    /** -ERR style reply. */
    record Error(String message) implements Reply {
        boolean is(String code) {
            return message.startsWith(code + " ") || message.equals(code);
        }
    }

    /** :123 reply. */
    record Int(long value) implements Reply {
    }

    /** $n bulk reply; value is null for a null bulk. */
    record Bulk(String value) implements Reply {
    }

    /** The server closed the connection without replying (what a successful SHUTDOWN does). */
    record Closed() implements Reply {
    }

    private RespProbe() {
    }

    /** Whether a reply is PONG. */
    static boolean isPong(Reply r) {
        return r instanceof Simple s && s.value().equals("PONG");
    }

    /** Whether a reply is -LOADING (the server is up but still reading its dataset). */
    static boolean isLoading(Reply r) {
        return r instanceof Error e && e.is("LOADING");
    }

    /**
     * Sends one command and reads its reply.
     *
     * @throws IOException when the socket is missing, refuses the connection or times out
     */
    static Reply call(Path socket, Duration timeout, String... args) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, 0);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                key.interestOps(SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(selector, deadline);
                }
            }
            ByteBuffer out = ByteBuffer.wrap(encode(args));
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    key.interestOps(SelectionKey.OP_WRITE);
                    await(selector, deadline);
                }
            }
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            key.interestOps(SelectionKey.OP_READ);
            while (true) {
                Reply r = parse(in.toByteArray());
                if (r != null) {
                    return r;
                }
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    if (in.size() == 0) {
                        return new Closed();
                    }
                    throw new EOFException("connection closed in the middle of a reply");
                }
                if (n == 0) {
                    await(selector, deadline);
                } else {
                    in.write(buf.array(), 0, n);
                }
            }
        }
    }

    static byte[] encode(String... args) {
        StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.writeBytes(b);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** Parses one reply from the start of {@code data}, or returns null when more bytes are needed. */
    static Reply parse(byte[] data) throws IOException {
        int eol = indexOfCrlf(data, 0);
        if (eol < 0) {
            return null;
        }
        String line = new String(data, 1, eol - 1, StandardCharsets.UTF_8);
        switch (data[0]) {
            case '+':
                return new Simple(line);
            case '-':
                return new Error(line);
            case ':':
                return new Int(Long.parseLong(line));
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return new Bulk(null);
                }
                int start = eol + 2;
                if (data.length < start + len + 2) {
                    return null;
                }
                return new Bulk(new String(data, start, len, StandardCharsets.UTF_8));
            }
            default:
                throw new IOException("unexpected RESP reply type '" + (char) data[0] + "'");
        }
    }

    private static int indexOfCrlf(byte[] data, int from) {
        for (int i = from; i + 1 < data.length; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void await(Selector selector, long deadline) throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("interrupted while talking to redis-server");
        }
        long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0) {
            throw new SocketTimeoutException("no reply in time");
        }
        selector.select(remainingMs);
        selector.selectedKeys().clear();
    }
}
