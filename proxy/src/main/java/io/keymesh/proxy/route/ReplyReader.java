package io.keymesh.proxy.route;

import io.keymesh.storage.conn.ReplyScanner;
import io.netty.buffer.ByteBuf;

/**
 * A cursor over one complete RESP2/RESP3 reply frame, for the few control-path replies keymesh
 * looks into (which keys a blocking pop changed, CONFIG GET): read an aggregate's header, read a
 * string, skip any item.
 */
final class ReplyReader {
    private final ByteBuf frame;
    private int at;

    ReplyReader(ByteBuf frame) {
        this.frame = frame;
        this.at = frame.readerIndex();
    }

    boolean hasMore() {
        return at < frame.writerIndex();
    }

    /** The type byte of the next item ('*', '%', '$', '_' ...). */
    byte type() {
        return frame.getByte(at);
    }

    /** True when the next item is a RESP2 null (bulk or array of length -1) or a RESP3 null. */
    boolean isNull() {
        byte t = type();
        return t == '_' || ((t == '*' || t == '$') && frame.getByte(at + 1) == '-');
    }

    /** Reads an aggregate header ('*', '%', '~', '>') and returns its item count (pairs for a map). */
    long readAggregate() {
        byte t = type();
        if (t != '*' && t != '%' && t != '~' && t != '>') {
            throw new IllegalStateException("expected an aggregate reply, got '" + (char) t + "'");
        }
        return readLine();
    }

    /** Reads a bulk, simple or verbatim string as bytes. */
    byte[] readString() {
        byte t = type();
        if (t == '+') {
            int lf = frame.indexOf(at, frame.writerIndex(), (byte) '\n');
            byte[] out = new byte[lf - 1 - (at + 1)];
            frame.getBytes(at + 1, out);
            at = lf + 1;
            return out;
        }
        if (t != '$' && t != '=') {
            throw new IllegalStateException("expected a string reply, got '" + (char) t + "'");
        }
        int length = (int) readLine();
        int skip = t == '=' ? 4 : 0;       // verbatim "txt:" prefix
        byte[] out = new byte[length - skip];
        frame.getBytes(at + skip, out);
        at += length + 2;
        return out;
    }

    /** Skips the next item, aggregates included. */
    void skip() {
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf rest = frame.slice(at, frame.writerIndex() - at);
        int length = scanner.scan(rest);
        if (length == ReplyScanner.INCOMPLETE) {
            throw new IllegalStateException("truncated reply");
        }
        at += length;
    }

    private long readLine() {
        int lf = frame.indexOf(at, frame.writerIndex(), (byte) '\n');
        if (lf < 0) {
            throw new IllegalStateException("truncated reply");
        }
        long value = Long.parseLong(frame.toString(at + 1, lf - 1 - (at + 1), java.nio.charset.StandardCharsets.US_ASCII));
        at = lf + 1;
        return value;
    }
}
