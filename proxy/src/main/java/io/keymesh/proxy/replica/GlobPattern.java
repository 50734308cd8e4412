package io.keymesh.proxy.replica;

import java.nio.charset.StandardCharsets;

/**
 * A Redis glob pattern as KEYS and SCAN MATCH use it, with Redis' exact rules: {@code *} any run,
 * {@code ?} one byte, {@code [abc]} and {@code [^a-z]} classes (a range may be written backwards, a
 * class left open runs to the end of the pattern), {@code \} makes the next byte literal (inside
 * classes too). Matches raw key bytes.
 */
public final class GlobPattern {
    private final byte[] pattern;

    public GlobPattern(String pattern) {
        this.pattern = pattern.getBytes(StandardCharsets.UTF_8);
    }

    /** True when {@code key} matches the whole pattern. */
    public boolean matches(byte[] key) {
        return matches(io.netty.buffer.Unpooled.wrappedBuffer(key), 0, key.length);
    }

    /** True when the {@code length} bytes of {@code buf} at {@code index} match the whole pattern (nothing copied). */
    public boolean matches(io.netty.buffer.ByteBuf buf, int index, int length) {
        if (pattern.length == 1 && pattern[0] == '*') {
            return true;                                // KEYS * lists every key, the empty one too
        }
        return match(0, buf, index, length, 0);
    }

    /** The pattern byte at {@code p}, or 0 past its end (Redis reads its string's terminator there). */
    private int at(int p) {
        return p < pattern.length ? pattern[p] & 0xff : 0;
    }

    /** Matches the pattern from {@code p} against subject bytes {@code i..length} of {@code buf} at {@code base}. */
    private boolean match(int p, io.netty.buffer.ByteBuf buf, int base, int length, int i) {
        while (p < pattern.length && i < length) {
            int c = pattern[p] & 0xff;
            if (c == '*') {
                while (p + 1 < pattern.length && pattern[p + 1] == '*') {
                    p++;
                }
                if (p + 1 == pattern.length) {
                    return true;
                }
                for (int k = i; k < length; k++) {
                    if (match(p + 1, buf, base, length, k)) {
                        return true;
                    }
                }
                return false;
            } else if (c == '?') {
                i++;
            } else if (c == '[') {
                int[] end = new int[1];
                if (!classMatches(p + 1, (buf.getByte(base + i) & 0xff), end)) {
                    return false;
                }
                p = end[0];
                i++;
            } else {
                if (c == '\\' && pattern.length - p >= 2) {
                    p++;
                    c = pattern[p] & 0xff;
                }
                if (c != (buf.getByte(base + i) & 0xff)) {
                    return false;
                }
                i++;
            }
            p++;
            if (i == length) {
                while (p < pattern.length && pattern[p] == '*') {
                    p++;
                }
                break;
            }
        }
        return p >= pattern.length && i == length;
    }

    /**
     * Whether byte {@code b} is in the class opening after {@code '['} at {@code from}; {@code end[0]}
     * receives the index of the class's closing {@code ']'} (or the last byte of an unclosed class).
     */
    private boolean classMatches(int from, int b, int[] end) {
        int p = from;
        boolean negate = at(p) == '^';
        if (negate) {
            p++;
        }
        boolean found = false;
        while (true) {
            int left = pattern.length - p;
            if (at(p) == '\\' && left >= 2) {
                p++;
                if (at(p) == b) {
                    found = true;
                }
            } else if (at(p) == ']') {
                break;
            } else if (left <= 0) {
                p--;                                    // unclosed: the class ends with the pattern
                break;
            } else if (left >= 3 && at(p + 1) == '-') {
                int lo = Math.min(at(p), at(p + 2));
                int hi = Math.max(at(p), at(p + 2));
                if (b >= lo && b <= hi) {
                    found = true;
                }
                p += 2;
            } else if (at(p) == b) {
                found = true;
            }
            p++;
        }
        end[0] = p;
        return negate != found;
    }
}
