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
 * map -> flat List of keys and values, double/big number/boolean -> String. Arrays nest at most
 * {@link #DEPTH_MAX} deep: deeper input is refused, never followed down the stack.
 */
public final class RespParser {
    /** Marker: the buffer does not hold a whole value yet. */
    public static final Object INCOMPLETE = new Object() {
        @Override
        public String toString() {
            return "INCOMPLETE";
        }
    };

    /** How deep arrays may nest (link frames are flat; backend replies parsed here nest a few levels). */
    public static final int DEPTH_MAX = 32;

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
        Object value = value(buf, 0);
        if (value == INCOMPLETE) {
            buf.readerIndex(start);
        }
        return value;
    }

    private Object value(ByteBuf buf, int depth) {
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
        int lineEnd = lf - 1;
        buf.readerIndex(lf + 1);
        switch (type) {
            case '+', ',', '(', '#' -> {
                return buf.toString(lineStart, lineEnd - lineStart, StandardCharsets.UTF_8);
            }
            case '-' -> {
                return new RespError(buf.toString(lineStart, lineEnd - lineStart, StandardCharsets.UTF_8));
            }
            case ':' -> {
                return number(buf, lineStart, lineEnd);
            }
            case '_' -> {
                return null;
            }
            case '$', '=' -> {
                long len = number(buf, lineStart, lineEnd);
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
                long n = number(buf, lineStart, lineEnd);
                if (n < 0) {
                    return null;
                }
                if (type == '%') {
                    n *= 2;
                }
                if (n > arrayLengthMax) {
                    throw new RespFormatException("array of " + n + " elements exceeds " + arrayLengthMax);
                }
                if (depth >= DEPTH_MAX) {
                    throw new RespFormatException("arrays nested deeper than " + DEPTH_MAX);
                }
                List<Object> items = new ArrayList<>((int) Math.min(n, 1024));
                for (long i = 0; i < n; i++) {
                    Object item = value(buf, depth + 1);
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

    /** The decimal integer in bytes [from, to) of buf (read in place: headers are parsed once per value). */
    private static long number(ByteBuf buf, int from, int to) {
        int i = from;
        boolean negative = i < to && buf.getByte(i) == '-';
        if (negative) {
            i++;
        }
        if (i == to) {
            throw notANumber(buf, from, to);
        }
        if (to - i > 18) {
            // near the limits of a long: let the library check the range
            String text = buf.toString(from, to - from, StandardCharsets.US_ASCII);
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw notANumber(buf, from, to);
            }
        }
        long n = 0;
        for (; i < to; i++) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) {
                throw notANumber(buf, from, to);
            }
            n = n * 10 + d;
        }
        return negative ? -n : n;
    }

    private static RespFormatException notANumber(ByteBuf buf, int from, int to) {
        return new RespFormatException("not an integer: " + buf.toString(from, to - from, StandardCharsets.UTF_8));
    }
}
