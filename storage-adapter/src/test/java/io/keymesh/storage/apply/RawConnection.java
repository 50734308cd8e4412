package io.keymesh.storage.apply;

import io.keymesh.storage.conn.ReplyScanner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test client over a unix socket that sends raw RESP requests and returns each reply's exact bytes. */
final class RawConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuf in = Unpooled.buffer(1 << 16);
    private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16);

    RawConnection(Path socket) {
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** RESP request bytes for the given arguments (Strings as ISO-8859-1, so parsed bulks round-trip). */
    static byte[] request(Object... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object a : args) {
            byte[] b = a instanceof byte[] bytes ? bytes : a.toString().getBytes(StandardCharsets.ISO_8859_1);
            out.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(b);
            out.writeBytes(new byte[] {'\r', '\n'});
        }
        return out.toByteArray();
    }

    /** Sends one command and returns its reply's bytes. */
    byte[] call(Object... args) {
        send(request(args));
        return readReply();
    }

    /** Sends one command and returns its reply parsed (see {@link #parse}). */
    Object callParsed(Object... args) {
        return parse(call(args));
    }

    void send(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] readReply() {
        ReplyScanner scanner = new ReplyScanner();
        try {
            while (true) {
                int n = in.isReadable() ? scanner.scan(in) : ReplyScanner.INCOMPLETE;
                if (n != ReplyScanner.INCOMPLETE) {
                    byte[] reply = new byte[n];
                    in.readBytes(reply);
                    in.discardReadBytes();
                    return reply;
                }
                chunk.clear();
                if (channel.read(chunk) < 0) {
                    throw new EOFException("redis closed the connection");
                }
                chunk.flip();
                in.writeBytes(chunk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reply as String (simple, bulk), Long, RuntimeException-free Error text "ERR...", List, or null. */
    static Object parse(byte[] reply) {
        int[] pos = {0};
        return parseAt(reply, pos);
    }

    /** An error reply. */
    record Err(String message) {
    }

    private static Object parseAt(byte[] r, int[] pos) {
        byte type = r[pos[0]];
        int eol = pos[0];
        while (r[eol] != '\r') {
            eol++;
        }
        String line = new String(r, pos[0] + 1, eol - pos[0] - 1, StandardCharsets.UTF_8);
        pos[0] = eol + 2;
        switch (type) {
            case '+':
            case ',':
                return line;
            case '-':
                return new Err(line);
            case ':':
                return Long.parseLong(line);
            case '_':
                return null;
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                String s = new String(r, pos[0], len, StandardCharsets.ISO_8859_1);
                pos[0] += len + 2;
                return s;
            }
            case '*':
            case '~':
            case '%': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                int items = type == '%' ? 2 * n : n;
                List<Object> list = new ArrayList<>(items);
                for (int i = 0; i < items; i++) {
                    list.add(parseAt(r, pos));
                }
                return list;
            }
            default:
                throw new IllegalStateException("unexpected reply type " + (char) type);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        in.release();
    }
}
