package io.keymesh.proxy.replica;

/**
 * A Redis glob pattern as KEYS uses it: {@code *} any run, {@code ?} one byte, {@code [abc]},
 * {@code [^a-z]} classes, {@code \} escapes the next byte. Matches raw key bytes.
 */
public final class GlobPattern {
    private final byte[] pattern;

    public GlobPattern(String pattern) {
        this.pattern = pattern.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** True when {@code key} matches the whole pattern. */
    public boolean matches(byte[] key) {
        return match(0, key, 0);
    }

    private boolean match(int p, byte[] s, int i) {
        while (p < pattern.length) {
            byte c = pattern[p];
            if (c == '*') {
                while (p + 1 < pattern.length && pattern[p + 1] == '*') {
                    p++;
                }
                if (p + 1 == pattern.length) {
                    return true;
                }
                for (int k = i; k <= s.length; k++) {
                    if (match(p + 1, s, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (i >= s.length) {
                return false;
            }
            if (c == '?') {
                p++;
                i++;
            } else if (c == '[') {
                int end = classEnd(p);
                if (end < 0) {                       // no closing bracket: '[' is literal
                    if (s[i] != '[') {
                        return false;
                    }
                    p++;
                    i++;
                    continue;
                }
                if (!inClass(p + 1, end, s[i])) {
                    return false;
                }
                p = end + 1;
                i++;
            } else {
                if (c == '\\' && p + 1 < pattern.length) {
                    p++;
                    c = pattern[p];
                }
                if (s[i] != c) {
                    return false;
                }
                p++;
                i++;
            }
        }
        return i == s.length;
    }

    private int classEnd(int open) {
        for (int j = open + 1; j < pattern.length; j++) {
            if (pattern[j] == '\\') {
                j++;
            } else if (pattern[j] == ']' && j > open + 1) {
                return j;
            }
        }
        return -1;
    }

    private boolean inClass(int from, int end, byte b) {
        boolean negate = pattern[from] == '^';
        int j = negate ? from + 1 : from;
        boolean found = false;
        while (j < end) {
            byte c = pattern[j];
            if (c == '\\' && j + 1 < end) {
                j++;
                c = pattern[j];
            }
            if (j + 2 < end && pattern[j + 1] == '-') {
                int lo = Math.min(c & 0xff, pattern[j + 2] & 0xff);
                int hi = Math.max(c & 0xff, pattern[j + 2] & 0xff);
                if ((b & 0xff) >= lo && (b & 0xff) <= hi) {
                    found = true;
                }
                j += 3;
            } else {
                if (b == c) {
                    found = true;
                }
                j++;
            }
        }
        return negate != found;
    }
}
