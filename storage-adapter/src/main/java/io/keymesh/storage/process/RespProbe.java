package io.keymesh.storage.process;

import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.ReplyStream;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.time.TimeSource;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One command over a unix socket, for readiness probes and stale-server shutdown before any Lettuce
 * machinery exists: written by {@link RespCommand}, its reply read by {@link ReplyStream}. Simple
 * strings, errors, integers and bulk strings are all these commands answer.
 */
final class RespProbe {
    private static final int REPLY_BYTES_MAX = 1024 * 1024;

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
     * @throws IOException when the socket is missing, refuses the connection or times out, or the
     *     reply is not one of the types above
     */
    static Reply call(TimeSource time, Path socket, Duration timeout, String... args) throws IOException {
        long deadline = time.monotonicNanos() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, 0);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                key.interestOps(SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(time, selector, deadline);
                }
            }
            ByteBuf command = RespCommand.encode(args);
            ByteBuffer out = command.nioBuffer();
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    key.interestOps(SelectionKey.OP_WRITE);
                    await(time, selector, deadline);
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            ReplyStream replies = new ReplyStream(new ChannelInput(time, ch, selector, deadline), REPLY_BYTES_MAX);
            return reply(replies.next());
        }
    }

    /** The reply {@code r} points at ({@link Closed} for null: the stream ended first). */
    static Reply reply(ReplyReader r) throws IOException {
        if (r == null) {
            return new Closed();
        }
        return switch (r.type()) {
            case '+' -> new Simple(r.readText());
            case '-' -> new Error(r.readText());
            case ':' -> new Int(r.readLong());
            case '$' -> new Bulk(r.readText());
            default -> throw new IOException("unexpected RESP reply type '" + (char) r.type() + "'");
        };
    }

    /** The channel as a blocking stream whose reads give up at {@code deadline}. */
    private static final class ChannelInput extends InputStream {
        private final TimeSource time;
        private final SocketChannel ch;
        private final Selector selector;
        private final long deadline;

        ChannelInput(TimeSource time, SocketChannel ch, Selector selector, long deadline) {
            this.time = time;
            this.ch = ch;
            this.selector = selector;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                int n = ch.read(ByteBuffer.wrap(b, off, len));
                if (n != 0) {
                    return n;
                }
                await(time, selector, deadline);
            }
        }
    }

    private static void await(TimeSource time, Selector selector, long deadline) throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("interrupted while talking to redis-server");
        }
        long remainingMs = (deadline - time.monotonicNanos()) / 1_000_000;
        if (remainingMs <= 0) {
            throw new SocketTimeoutException("no reply in time");
        }
        selector.select(remainingMs);
        selector.selectedKeys().clear();
    }
}
