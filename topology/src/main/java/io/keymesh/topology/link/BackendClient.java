package io.keymesh.topology.link;

import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

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

/**
 * A blocking, single-threaded connection to the node's own redis-server for link work (reading
 * the log, applying batches, snapshots). One request at a time; replies come back parsed. A call
 * the backend answers -BUSY (a script runs) is sent again until it is answered ({@link BusyWait}),
 * so callers never see -BUSY.
 */
public final class BackendClient implements AutoCloseable {
    private final AutoCloseable socket;
    private final OutputStream out;
    private final RespStreamReader in;
    private final BusyWait busy;
    /** Encoding buffer reused by every call (single-threaded); dropped after an unusually large one. */
    private ByteBuf request = Unpooled.buffer(REQUEST_BUFFER_KEEP / 16);
    private static final int REQUEST_BUFFER_KEEP = 64 * 1024;

    private BackendClient(AutoCloseable socket, InputStream in, OutputStream out, BusyWait busy) {
        this.socket = socket;
        this.out = out;
        this.in = new RespStreamReader(in, RespParser.standard());
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
        ByteBuf buf = request.clear();
        RespWriter.write(buf, args);
        Object reply;
        while (true) {
            out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            out.flush();
            reply = in.read();
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

    /** {@link #call(List)} with text arguments. */
    public Object call(String... args) throws IOException {
        return call(texts(List.of(args)));
    }

    /** Like {@link #call(List)}, but an error reply throws {@link BackendCallException}. */
    public Object ok(List<?> args) throws IOException {
        List<byte[]> bytes = new ArrayList<>(args.size());
        for (Object a : args) {
            bytes.add(a instanceof byte[] b ? b : RespWriter.bytes(String.valueOf(a)));
        }
        Object reply = call(bytes);
        if (reply instanceof RespError e) {
            throw new BackendCallException(e.message());
        }
        return reply;
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
