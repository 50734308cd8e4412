package io.keymesh.topology.wire;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes a command or frame as a RESP array of bulk strings. Pure. */
public final class RespWriter {
    private RespWriter() {
    }

    /** Writes {@code args} as one RESP array into {@code out}. */
    public static ByteBuf write(ByteBuf out, List<byte[]> args) {
        header(out, '*', args.size());
        for (byte[] arg : args) {
            header(out, '$', arg.length);
            out.writeBytes(arg).writeByte('\r').writeByte('\n');
        }
        return out;
    }

    /** Bytes {@code args} take once encoded. */
    public static int encodedLength(List<byte[]> args) {
        int n = 1 + digits(args.size()) + 2;
        for (byte[] arg : args) {
            n += 1 + digits(arg.length) + 2 + arg.length + 2;
        }
        return n;
    }

    /** UTF-8 bytes of a string argument. */
    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** ASCII bytes of a number argument. */
    public static byte[] bytes(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static void header(ByteBuf out, char type, int n) {
        out.writeByte(type);
        if (n < 0) {
            out.writeByte('-');
            n = -n;                                  // only -1 in practice: no overflow
        }
        int d = digits(n);
        int at = out.writerIndex() + d;
        out.ensureWritable(d + 2);
        for (int i = 1; i <= d; i++) {
            out.setByte(at - i, '0' + n % 10);
            n /= 10;
        }
        out.writerIndex(at).writeByte('\r').writeByte('\n');
    }

    /** Decimal digits of a non-negative int (headers are written without a String per number). */
    private static int digits(int n) {
        int d = 1;
        while (n >= 10) {
            n /= 10;
            d++;
        }
        return d;
    }
}
