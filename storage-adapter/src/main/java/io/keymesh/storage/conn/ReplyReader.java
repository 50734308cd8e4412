package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * A cursor over one complete RESP2/RESP3 reply frame (as {@link ReplyScanner} frames it), for the
 * replies keymesh looks into: control-path replies on backend links (which keys a blocking pop
 * changed, CONFIG GET) and the replies of probes and backend control calls ({@link ReplyStream}).
 * Reads in place: an aggregate's header, a string, a number, or skips an item; nothing is built
 * that the caller does not ask for.
 */
public final class ReplyReader {
    private final ByteBuf frame;
    private int at;

    /** A cursor at the start of {@code frame}'s readable bytes, which must hold whole replies. */
    public ReplyReader(ByteBuf frame) {
        this.frame = frame;
        this.at = frame.readerIndex();
    }

    /** Whether items are left to read. */
    public boolean hasMore() {
        return at < frame.writerIndex();
    }

    /** The type byte of the next item ('*', '%', '$', '_' ...). */
    public byte type() {
        return frame.getByte(at);
    }

    /** True when the next item is a RESP2 null (bulk or array of length -1) or a RESP3 null. */
    public boolean isNull() {
        byte t = type();
        return t == '_' || ((t == '*' || t == '$') && frame.getByte(at + 1) == '-');
    }

    /** True when the next item is an error ('-' or a RESP3 blob error '!'). */
    public boolean isError() {
        return ReplyScanner.isError(frame, at);
    }

    /** True when the next item is a string: simple, bulk or verbatim (not null). */
    public boolean isString() {
        byte t = type();
        return t == '+' || ((t == '$' || t == '=') && !isNull());
    }

    /** Reads an aggregate header ('*', '%', '~', '>') and returns its item count (pairs for a map). */
    public long readAggregate() {
        byte t = type();
        if (t != '*' && t != '%' && t != '~' && t != '>') {
            throw new IllegalStateException("expected an aggregate reply, got '" + (char) t + "'");
        }
        return readLine();
    }

    /** Reads an integer reply (':'). */
    public long readLong() {
        if (type() != ':') {
            throw new IllegalStateException("expected an integer reply, got '" + (char) type() + "'");
        }
        return readLine();
    }

    /** Reads a bulk, simple or verbatim string as bytes (an error's message, a RESP3 double, big number or boolean as its line). */
    public byte[] readString() {
        byte t = type();
        if (t == '+' || t == '-' || t == ',' || t == '(' || t == '#') {
            int lf = lineEnd();
            byte[] out = new byte[lf - 1 - (at + 1)];
            frame.getBytes(at + 1, out);
            at = lf + 1;
            return out;
        }
        if (t != '$' && t != '=' && t != '!') {
            throw new IllegalStateException("expected a string reply, got '" + (char) t + "'");
        }
        int length = (int) readLine();
        int skip = t == '=' ? 4 : 0;       // verbatim "txt:" prefix
        byte[] out = new byte[length - skip];
        frame.getBytes(at + skip, out);
        at += length + 2;
        return out;
    }

    /** Reads a string or an error's message as UTF-8 text (null for a null). */
    public String readText() {
        if (isNull()) {
            skip();
            return null;
        }
        return new String(readString(), StandardCharsets.UTF_8);
    }

    /** Skips the next item, aggregates included. */
    public void skip() {
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf rest = frame.slice(at, frame.writerIndex() - at);
        int length = scanner.scan(rest);
        if (length == ReplyScanner.INCOMPLETE) {
            throw new IllegalStateException("truncated reply");
        }
        at += length;
    }

    /** The unread bytes as text with line ends shown as spaces, at most {@code max} characters (for messages). */
    public String describe(int max) {
        int n = Math.min(max, frame.writerIndex() - at);
        String text = frame.toString(at, n, StandardCharsets.UTF_8).replace("\r\n", " ").trim();
        return n < frame.writerIndex() - at ? text + "..." : text;
    }

    /** The number on the line of the item at the cursor (after its type byte); moves past the line. */
    private long readLine() {
        int lf = lineEnd();
        int from = at + 1;
        int end = lf - 1;
        boolean negative = end > from && frame.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        long value = 0;
        boolean digits = i < end && end - i <= 18;      // 18 digits cannot overflow a long
        for (; digits && i < end; i++) {
            int d = frame.getByte(i) - '0';
            digits = d >= 0 && d <= 9;
            value = value * 10 + d;
        }
        if (!digits) {          // what Long.parseLong says of it: the number, or its exception
            value = Long.parseLong(frame.toString(from, end - from, StandardCharsets.US_ASCII));
        } else if (negative) {
            value = -value;
        }
        at = lf + 1;
        return value;
    }

    private int lineEnd() {
        int lf = frame.indexOf(at, frame.writerIndex(), (byte) '\n');
        if (lf < 0) {
            throw new IllegalStateException("truncated reply");
        }
        return lf;
    }
}
