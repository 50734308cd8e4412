package io.keymesh.topology.link;

import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.ReplyStream;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A blocking, single-threaded connection to the node's own redis-server for link work (reading
 * the log, applying batches, snapshots), housekeeping and the memory watch. One request at a time.
 * Replies are read with storage-adapter's reader of backend replies ({@link ReplyStream}: framed by
 * its resumable scanner, bounded by {@link #REPLY_BYTES_MAX}) and come back as values: simple
 * strings and RESP3 lines as String, errors as {@link RespError}, integers as Long, bulks as byte[],
 * aggregates as List (a map flat), nulls as null. A call the backend answers -BUSY (a script runs)
 * is sent again until it is answered ({@link BusyWait}), so callers never see -BUSY.
 */
public final class BackendClient implements AutoCloseable {
    private final AutoCloseable socket;
    private final OutputStream out;
    private final ReplyStream in;
    private final BusyWait busy;
    /** Encoding buffer reused by every call (single-threaded); dropped after an unusually large one. */
    private ByteBuf request = Unpooled.buffer(REQUEST_BUFFER_KEEP / 16);
    private static final int REQUEST_BUFFER_KEEP = 64 * 1024;
    /** The largest reply taken: a DUMP of a value at Redis' largest bulk (512 MB), with room to spare. */
    static final int REPLY_BYTES_MAX = 1024 * 1024 * 1024;

    private BackendClient(AutoCloseable socket, InputStream in, OutputStream out, BusyWait busy) {
        this.socket = socket;
        this.out = out;
        this.in = new ReplyStream(in, REPLY_BYTES_MAX);
        this.busy = busy;
    }

    /**
     * Connects, authenticates when a password is given, and selects {@code db}; calls that get
     * -BUSY wait with {@code busy}.
     */
    public static BackendClient open(BackendEndpoint endpoint, String username, String password, int db,
                                     int connectTimeoutMillis, BusyWait busy) throws IOException {
        BackendClient client;
        if (endpoint instanceof BackendEndpoint.UnixSocket unix) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(unix.path()));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            client = new BackendClient(ch, Channels.newInputStream(ch), Channels.newOutputStream(ch), busy);
        } else {
            BackendEndpoint.Tcp tcp = (BackendEndpoint.Tcp) endpoint;
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(tcp.host(), tcp.port()), connectTimeoutMillis);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            client = new BackendClient(s, s.getInputStream(), s.getOutputStream(), busy);
        }
        try {
            if (password != null && !password.isEmpty()) {
                client.ok(username == null || username.isEmpty() ? List.of("AUTH", password)
                        : List.of("AUTH", username, password));
            }
            if (db != 0) {
                client.ok(List.of("SELECT", Integer.toString(db)));
            }
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Sends one command and returns its reply; an error reply comes back as {@link RespError}. A
     * -BUSY reply (the command did not run) is not returned: the command is sent again after a
     * pause, until the backend runs it.
     */
    public Object call(List<byte[]> args) throws IOException {
        Object reply = exchange(args);
        return reply instanceof ReplyReader r ? parsed(r, BackendClient::value) : reply;
    }

    /**
     * Like {@link #ok(List)}, the reply read in place by {@code parse} instead of built as values
     * (for replies read often, such as log ranges); a reply {@code parse} cannot read is an IOException.
     */
    public <T> T ok(List<?> args, Function<ReplyReader, T> parse) throws IOException {
        Object reply = exchange(bytes(args));
        if (reply instanceof RespError e) {
            throw new BackendCallException(e.message());
        }
        return parsed((ReplyReader) reply, parse);
    }

    /**
     * Sends one command, waiting out -BUSY as {@link #call(List)} does; returns the reply's reader,
     * or the error it is as a {@link RespError}.
     */
    private Object exchange(List<byte[]> args) throws IOException {
        ByteBuf buf = request.clear();
        RespWriter.write(buf, args);
        Object reply;
        while (true) {
            out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            out.flush();
            ReplyReader r = in.next();
            if (r == null) {
                throw new EOFException("connection closed by the backend");
            }
            if (!r.isError()) {
                reply = r;
                break;
            }
            reply = parsed(r, BackendClient::value);
            if (!BusyWait.isBusy(reply)) {
                break;
            }
            busy.onBusy((RespError) reply);
        }
        busy.onAnswered();
        if (buf.capacity() > REQUEST_BUFFER_KEEP) {
            request = Unpooled.buffer(REQUEST_BUFFER_KEEP / 16);
        }
        return reply;
    }

    /** The reply at {@code r} read by {@code parse}; a reply it cannot read is an IOException. */
    private static <T> T parsed(ReplyReader r, Function<ReplyReader, T> parse) throws IOException {
        try {
            return parse.apply(r);
        } catch (RuntimeException e) {
            throw new IOException("backend reply not understood: " + e.getMessage(), e);
        }
    }

    /** The item at {@code r} as a value (see the class comment). */
    private static Object value(ReplyReader r) {
        if (r.isNull()) {
            r.skip();
            return null;
        }
        byte type = r.type();
        switch (type) {
            case ':' -> {
                return r.readLong();
            }
            case '-', '!' -> {
                return new RespError(r.readText());
            }
            case '+', ',', '(', '#' -> {
                return r.readText();
            }
            case '$', '=' -> {
                return r.readString();
            }
            case '*', '~', '>', '%' -> {
                long n = r.readAggregate() * (type == '%' ? 2 : 1);
                List<Object> items = new ArrayList<>((int) Math.min(n, 1024));
                for (long i = 0; i < n; i++) {
                    items.add(value(r));
                }
                return items;
            }
            default -> throw new IllegalStateException("unexpected reply type '" + (char) type + "'");
        }
    }

    /** {@link #call(List)} with text arguments. */
    public Object call(String... args) throws IOException {
        return call(texts(List.of(args)));
    }

    /** Like {@link #call(List)}, but an error reply throws {@link BackendCallException}. */
    public Object ok(List<?> args) throws IOException {
        Object reply = call(bytes(args));
        if (reply instanceof RespError e) {
            throw new BackendCallException(e.message());
        }
        return reply;
    }

    /** Arguments as bytes: byte arrays as they are, anything else as its text. */
    private static List<byte[]> bytes(List<?> args) {
        List<byte[]> bytes = new ArrayList<>(args.size());
        for (Object a : args) {
            bytes.add(a instanceof byte[] b ? b : RespWriter.bytes(String.valueOf(a)));
        }
        return bytes;
    }

    private static List<byte[]> texts(List<String> args) {
        List<byte[]> bytes = new ArrayList<>(args.size());
        for (String a : args) {
            bytes.add(RespWriter.bytes(a));
        }
        return bytes;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
