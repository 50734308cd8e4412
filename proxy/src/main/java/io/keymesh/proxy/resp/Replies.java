package io.keymesh.proxy.resp;

import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/** Replies keymesh builds itself: pre-encoded constants and encoders for errors, integers, bulks. */
public final class Replies {
    private Replies() {
    }

    public static final ByteBuf OK = constant("+OK\r\n");
    public static final ByteBuf PONG = constant("+PONG\r\n");
    public static final ByteBuf RESET = constant("+RESET\r\n");
    public static final ByteBuf NOAUTH = constant("-NOAUTH Authentication required.\r\n");
    public static final ByteBuf WRONGPASS = constant("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    public static final ByteBuf NULL_BULK = constant("$-1\r\n");
    public static final ByteBuf NULL_RESP3 = constant("_\r\n");
    public static final ByteBuf READONLY = constant("-READONLY You can't write against a read only replica.\r\n");

    private static ByteBuf constant(String s) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII)).asReadOnly());
    }

    /** A shared constant ready to write (a duplicate, so reader indexes stay independent). */
    public static ByteBuf of(ByteBuf constant) {
        return constant.duplicate();
    }

    /** "-" + text + CRLF; {@code text} starts with the error code (ERR, WRONGTYPE ...). */
    public static ByteBuf error(ByteBufAllocator alloc, String text) {
        byte[] bytes = sanitize(text).getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length + 3).writeByte('-').writeBytes(bytes).writeByte('\r').writeByte('\n');
    }

    public static ByteBuf simple(ByteBufAllocator alloc, String text) {
        byte[] bytes = sanitize(text).getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length + 3).writeByte('+').writeBytes(bytes).writeByte('\r').writeByte('\n');
    }

    public static ByteBuf integer(ByteBufAllocator alloc, long value) {
        byte[] bytes = Long.toString(value).getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(bytes.length + 3).writeByte(':').writeBytes(bytes).writeByte('\r').writeByte('\n');
    }

    public static ByteBuf bulk(ByteBufAllocator alloc, String value) {
        return value == null ? of(NULL_BULK) : bulk(alloc, value.getBytes(StandardCharsets.UTF_8));
    }

    public static ByteBuf bulk(ByteBufAllocator alloc, byte[] value) {
        ByteBuf buf = alloc.buffer(value.length + 16);
        writeBulk(buf, value);
        return buf;
    }

    /** The null reply in the client's protocol. */
    public static ByteBuf nullReply(int protocol) {
        return of(protocol == 3 ? NULL_RESP3 : NULL_BULK);
    }

    /** A text blob as Redis sends INFO/CLIENT LIST: bulk in RESP2, verbatim "txt" in RESP3. */
    public static ByteBuf verbatim(ByteBufAllocator alloc, int protocol, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (protocol != 3) {
            return bulk(alloc, bytes);
        }
        ByteBuf buf = alloc.buffer(bytes.length + 24);
        buf.writeByte('=').writeCharSequence(Integer.toString(bytes.length + 4), StandardCharsets.US_ASCII);
        buf.writeByte('\r').writeByte('\n').writeCharSequence("txt:", StandardCharsets.US_ASCII);
        return buf.writeBytes(bytes).writeByte('\r').writeByte('\n');
    }

    static void writeBulk(ByteBuf buf, byte[] value) {
        RespCommand.writeBulk(buf, value);
    }

    /** Error and status lines cannot carry CR or LF. */
    private static String sanitize(String text) {
        return text.indexOf('\r') < 0 && text.indexOf('\n') < 0 ? text : text.replace('\r', ' ').replace('\n', ' ');
    }

    /** Builds aggregate replies (arrays, maps) in the client's protocol. */
    public static final class Writer {
        private final ByteBuf buf;
        private final int protocol;

        public Writer(ByteBufAllocator alloc, int protocol) {
            this.buf = alloc.buffer(256);
            this.protocol = protocol;
        }

        public Writer array(int n) {
            return header('*', n);
        }

        /** A map of n pairs: RESP3 map, or a flat array of 2n items in RESP2. */
        public Writer map(int n) {
            return protocol == 3 ? header('%', n) : header('*', 2 * n);
        }

        public Writer bulk(String s) {
            writeBulk(buf, s.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        public Writer integer(long v) {
            RespCommand.writeHeader(buf, ':', v);
            return this;
        }

        public Writer raw(ByteBuf frame) {
            buf.writeBytes(frame);
            return this;
        }

        private Writer header(char type, int n) {
            RespCommand.writeHeader(buf, type, n);
            return this;
        }

        public ByteBuf done() {
            return buf;
        }
    }
}
