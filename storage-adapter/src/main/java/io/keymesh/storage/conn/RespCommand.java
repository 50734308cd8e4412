package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes commands as RESP arrays of bulk strings: the one command writer of backend control calls,
 * probes and link frames (docs/design/resp.md, "Readers and writers"). Numbers in headers are
 * written digit by digit, without a String per number. Pure.
 */
public final class RespCommand {
    private RespCommand() {
    }

    /** {@code args} (UTF-8) as one command in a new heap buffer. */
    public static ByteBuf encode(String... args) {
        byte[][] bytes = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        List<byte[]> list = List.of(bytes);
        return write(Unpooled.buffer(encodedLength(list)), list);
    }

    /** Writes {@code args} as one RESP array into {@code out}; returns {@code out}. */
    public static ByteBuf write(ByteBuf out, List<byte[]> args) {
        writeHeader(out, '*', args.size());
        for (byte[] arg : args) {
            writeBulk(out, arg);
        }
        return out;
    }

    /** Writes {@code value} as one bulk string. */
    public static void writeBulk(ByteBuf out, byte[] value) {
        writeHeader(out, '$', value.length);
        out.writeBytes(value).writeByte('\r').writeByte('\n');
    }

    /**
     * Writes a line of a type byte and a decimal number, then CRLF: an aggregate or bulk header
     * ({@code *3\r\n}, {@code $-1\r\n}) or an integer reply ({@code :-42\r\n}).
     */
    public static void writeHeader(ByteBuf out, char type, long n) {
        out.writeByte(type);
        if (n == Long.MIN_VALUE) {
            out.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
            out.writeByte('\r').writeByte('\n');
            return;
        }
        if (n < 0) {
            out.writeByte('-');
            n = -n;
        }
        int d = digits(n);
        out.ensureWritable(d + 2);
        int at = out.writerIndex() + d;
        for (int i = 1; i <= d; i++) {
            out.setByte(at - i, (int) ('0' + n % 10));
            n /= 10;
        }
        out.writerIndex(at).writeByte('\r').writeByte('\n');
    }

    /** Bytes {@code args} take once written by {@link #write}. */
    public static int encodedLength(List<byte[]> args) {
        int n = 1 + digits(args.size()) + 2;
        for (byte[] arg : args) {
            n += 1 + digits(arg.length) + 2 + arg.length + 2;
        }
        return n;
    }

    /** Decimal digits of a non-negative number. */
    private static int digits(long n) {
        int d = 1;
        while (n >= 10) {
            n /= 10;
            d++;
        }
        return d;
    }
}
