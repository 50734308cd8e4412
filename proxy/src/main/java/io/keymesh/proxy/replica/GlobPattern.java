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
        if (pattern.length == 1 && pattern[0] == '*') {
            return true;                                // KEYS * lists every key, the empty one too
        }
        return match(0, key, 0);
    }

    /** The pattern byte at {@code p}, or 0 past its end (Redis reads its string's terminator there). */
    private int at(int p) {
        return p < pattern.length ? pattern[p] & 0xff : 0;
    }

    private boolean match(int p, byte[] s, int i) {
        while (p < pattern.length && i < s.length) {
            int c = pattern[p] & 0xff;
            if (c == '*') {
                while (p + 1 < pattern.length && pattern[p + 1] == '*') {
                    p++;
                }
                if (p + 1 == pattern.length) {
                    return true;
                }
                for (int k = i; k < s.length; k++) {
                    if (match(p + 1, s, k)) {
                        return true;
                    }
                }
                return false;
            } else if (c == '?') {
                i++;
            } else if (c == '[') {
                int[] end = new int[1];
                if (!classMatches(p + 1, s[i] & 0xff, end)) {
                    return false;
                }
                p = end[0];
                i++;
            } else {
                if (c == '\\' && pattern.length - p >= 2) {
                    p++;
                    c = pattern[p] & 0xff;
                }
                if (c != (s[i] & 0xff)) {
                    return false;
                }
                i++;
            }
            p++;
            if (i == s.length) {
                while (p < pattern.length && pattern[p] == '*') {
                    p++;
                }
                break;
            }
        }
        return p >= pattern.length && i == s.length;
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
