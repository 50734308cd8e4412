package io.keymesh.proxy.replica;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GlobPattern against Redis' own answers: each row is a pattern, a key and whether {@code KEYS pattern}
 * lists that key on redis-server 7.0 (recorded by running KEYS on it), odd corners included: backwards
 * ranges, classes left open, escapes inside classes, an empty class, {@code *} and the empty key.
 */
class GlobPatternTest {
    private static final Object[][] REDIS_ANSWERS = {
            {"*", "anything", true},
            {"*", "", true},
            {"**", "", false},
            {"a*", "abc", true},
            {"a*", "bac", false},
            {"*c", "abc", true},
            {"a*c", "ac", true},
            {"a*c", "abbbc", true},
            {"a*c", "abcd", false},
            {"a*b*c", "axxbyyc", true},
            {"a*b*c", "axxcyyb", false},
            {"h?llo", "hello", true},
            {"h?llo", "hllo", false},
            {"h??lo", "hello", true},
            {"h[ae]llo", "hallo", true},
            {"h[ae]llo", "hillo", false},
            {"h[^e]llo", "hallo", true},
            {"h[^e]llo", "hello", false},
            {"h[a-b]llo", "hbllo", true},
            {"h[a-b]llo", "hcllo", false},
            {"h[b-a]llo", "hallo", true},
            {"[0-9][0-9]", "42", true},
            {"[0-9][0-9]", "4x", false},
            {"[abc", "b", true},
            {"[abc", "d", false},
            {"[abc", "bc", false},
            {"a[", "a[", false},
            {"x[^", "xq", true},
            {"\\*", "*", true},
            {"\\*", "a", false},
            {"a\\?c", "a?c", true},
            {"a\\?c", "abc", false},
            {"[\\]]", "]", true},
            {"[\\-a]", "-", true},
            {"[a\\-z]", "b", false},
            {"[a-]", "_", true},
            {"[]", "]", false},
            {"[]abc]", "a", false},
            {"[^]", "x", true},
            {"key:*:a", "key:12:a", true},
            {"key:*:a", "key:12:b", false},
            {"ab\\", "ab\\", true},
            {"a*", "a", true},
            {"*a", "a", true},
            {"?", "", false},
    };

    @Test
    void matchesExactlyWhatRedisKeysLists() {
        List<String> wrong = new ArrayList<>();
        for (Object[] row : REDIS_ANSWERS) {
            String pattern = (String) row[0];
            String key = (String) row[1];
            boolean expected = (Boolean) row[2];
            if (new GlobPattern(pattern).matches(key.getBytes(StandardCharsets.UTF_8)) != expected) {
                wrong.add("KEYS " + pattern + " " + (expected ? "lists" : "does not list") + " '" + key + "'");
            }
        }
        assertTrue(wrong.isEmpty(), String.join("; ", wrong));
    }

    @Test
    void matchesRawBytesBeyondAscii() {
        byte[] key = {'k', (byte) 0xff, 'z'};
        assertTrue(new GlobPattern("k?z").matches(key));
        assertTrue(new GlobPattern("k*").matches(key));
        assertEquals(false, new GlobPattern("k[a-z]z").matches(key));
    }
}
