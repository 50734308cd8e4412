package io.keymesh.topology.wire;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental RESP parser over a byte buffer. {@link #parse} returns one whole value, or
 * {@link #INCOMPLETE} (and leaves the reader index where it was) when the buffer does not hold it
 * yet. Values: simple string -> String, error -> {@link RespError}, integer -> Long, bulk -> byte[]
 * (null for a null bulk), array/set/push -> List (null for a null array), RESP3 null -> null,
 * map -> flat List of keys and values, double/big number/boolean -> String.
 */
public final class RespParser {
    /** Marker: the buffer does not hold a whole value yet. */
    public static final Object INCOMPLETE = new Object() {
        @Override
        public String toString() {
            return "INCOMPLETE";
        }
    };

    private final long bulkLengthMax;
    private final int arrayLengthMax;

    public RespParser(long bulkLengthMax, int arrayLengthMax) {
        this.bulkLengthMax = bulkLengthMax;
        this.arrayLengthMax = arrayLengthMax;
    }

    /** A parser with Redis' default limits (512 MB bulks, 1M-element arrays ... here 16M). */
    public static RespParser standard() {
        return new RespParser(512L * 1024 * 1024, 16 * 1024 * 1024);
    }

    /** Parses one value from {@code buf}'s reader index; throws {@link RespFormatException} on bad input. */
    public Object parse(ByteBuf buf) {
        int start = buf.readerIndex();
        Object value = value(buf);
        if (value == INCOMPLETE) {
            buf.readerIndex(start);
        }
        return value;
    }

    private Object value(ByteBuf buf) {
        if (!buf.isReadable()) {
            return INCOMPLETE;
        }
        int lineStart = buf.readerIndex() + 1;
        int lf = buf.indexOf(lineStart, buf.writerIndex(), (byte) '\n');
        if (lf < 0) {
            return INCOMPLETE;
        }
        if (lf == lineStart || buf.getByte(lf - 1) != '\r') {
            throw new RespFormatException("line not terminated by CRLF");
        }
        byte type = buf.getByte(buf.readerIndex());
        String line = buf.toString(lineStart, lf - 1 - lineStart, StandardCharsets.UTF_8);
        buf.readerIndex(lf + 1);
        switch (type) {
            case '+', ',', '(', '#' -> {
                return line;
            }
            case '-' -> {
                return new RespError(line);
            }
            case ':' -> {
                return number(line);
            }
            case '_' -> {
                return null;
            }
            case '$', '=' -> {
                long len = number(line);
                if (len < 0) {
                    return null;
                }
                if (len > bulkLengthMax) {
                    throw new RespFormatException("bulk of " + len + " bytes exceeds " + bulkLengthMax);
                }
                if (buf.readableBytes() < len + 2) {
                    return INCOMPLETE;
                }
                byte[] bytes = new byte[(int) len];
                buf.readBytes(bytes);
                if (buf.readByte() != '\r' || buf.readByte() != '\n') {
                    throw new RespFormatException("bulk not terminated by CRLF");
                }
                return bytes;
            }
            case '*', '~', '>', '%' -> {
                long n = number(line);
                if (n < 0) {
                    return null;
                }
                if (type == '%') {
                    n *= 2;
                }
                if (n > arrayLengthMax) {
                    throw new RespFormatException("array of " + n + " elements exceeds " + arrayLengthMax);
                }
                List<Object> items = new ArrayList<>((int) Math.min(n, 1024));
                for (long i = 0; i < n; i++) {
                    Object item = value(buf);
                    if (item == INCOMPLETE) {
                        return INCOMPLETE;
                    }
                    items.add(item);
                }
                return items;
            }
            default -> throw new RespFormatException("unknown RESP type byte '" + (char) type + "'");
        }
    }

    private static long number(String line) {
        try {
            return Long.parseLong(line);
        } catch (NumberFormatException e) {
            throw new RespFormatException("not an integer: " + line);
        }
    }
}
