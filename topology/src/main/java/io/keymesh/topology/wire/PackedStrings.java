package io.keymesh.topology.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A msgpack array of strings, the one msgpack form a log entry carries (the ops of a long entry in
 * its field {@code m}, a stream entry's fields in {@code xv}), as the apply library's
 * {@code cmsgpack.pack} writes it: an array header (fixarray, array 16, array 32) then that many
 * strings (fixstr, str 8, str 16, str 32) and nothing after. Anything else is refused; every declared
 * length is checked against the bytes present before it is used.
 */
public final class PackedStrings {
    private PackedStrings() {
    }

    /** The strings of {@code packed}, in order; throws {@link IllegalArgumentException} saying what is not as written. */
    public static List<byte[]> unpack(byte[] packed) {
        List<byte[]> out = new ArrayList<>();
        walk(packed, out);
        return out;
    }

    /** How many strings {@code packed} holds, checked as {@link #unpack} does without copying them. */
    public static int count(byte[] packed) {
        return walk(packed, null);
    }

    private static int walk(byte[] p, List<byte[]> out) {
        if (p.length == 0) {
            throw new IllegalArgumentException("empty, not a msgpack array");
        }
        int head = p[0] & 0xff;
        long n;
        int at;
        if (head >= 0x90 && head <= 0x9f) {
            n = head & 0x0f;
            at = 1;
        } else if (head == 0xdc) {
            n = uint(p, 1, 2);
            at = 3;
        } else if (head == 0xdd) {
            n = uint(p, 1, 4);
            at = 5;
        } else {
            throw new IllegalArgumentException(String.format("type byte 0x%02x, not a msgpack array", head));
        }
        if (n > p.length - at) {              // every string takes at least one byte
            throw new IllegalArgumentException("an array of " + n + " strings in " + p.length + " bytes");
        }
        for (long i = 0; i < n; i++) {
            int type = p[at] & 0xff;
            long len;
            if (type >= 0xa0 && type <= 0xbf) {
                len = type & 0x1f;
                at += 1;
            } else if (type == 0xd9) {
                len = uint(p, at + 1, 1);
                at += 2;
            } else if (type == 0xda) {
                len = uint(p, at + 1, 2);
                at += 3;
            } else if (type == 0xdb) {
                len = uint(p, at + 1, 4);
                at += 5;
            } else {
                throw new IllegalArgumentException(String.format("item %d of type byte 0x%02x, not a msgpack string", i, type));
            }
            if (len > p.length - at) {
                throw new IllegalArgumentException("item " + i + " of " + len + " bytes where " + Math.max(0, p.length - at)
                        + " are left");
            }
            if (out != null) {
                out.add(Arrays.copyOfRange(p, at, at + (int) len));
            }
            at += (int) len;
            if (i + 1 < n && at >= p.length) {
                throw new IllegalArgumentException("ends after item " + i + " of " + n);
            }
        }
        if (at != p.length) {
            throw new IllegalArgumentException((p.length - at) + " bytes after the array");
        }
        return (int) n;
    }

    /** The big-endian unsigned integer of {@code size} bytes at {@code at}. */
    private static long uint(byte[] p, int at, int size) {
        if (at + size > p.length) {
            throw new IllegalArgumentException("ends inside a length");
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = v << 8 | (p[at + i] & 0xff);
        }
        return v;
    }
}
