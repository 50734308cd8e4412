package io.keymesh.proxy.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The random choices of one case, from a generator seeded by the run's seed and the case's number
 * alone, so that any case can be generated again on its own ({@code --seed S --from N --cases 1}).
 */
final class Pick {
    /** Numbers as clients and peers spell them, good and bad: limits, overflows, floats, junk. */
    static final String[] NUMBERS = {"0", "1", "-1", "2", "3", "10", "-10", "100", "1000", "65535", "65536",
        "2147483647", "2147483648", "-2147483649", "4294967296", "536870912", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "99999999999999999999999", "1.5", "-1.5", "0.0", "-0", "+1", " 1", "1 ", "0x10", "1e3", "1e309", "-1e309",
        "nan", "-nan", "inf", "-inf", "+inf", "abc", "", "00", "1.0e-400", "3.4028235e38", "1,5", "١"};

    private final SplittableRandom random;

    Pick(long seed, long caseNumber) {
        this.random = new SplittableRandom(mix(seed) ^ mix(caseNumber + 0x9E3779B97F4A7C15L));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A number in [0, bound). */
    int below(int bound) {
        return random.nextInt(bound);
    }

    /** A number in [from, to]. */
    int between(int from, int to) {
        return from + random.nextInt(to - from + 1);
    }

    long anyLong() {
        return random.nextLong();
    }

    boolean chance(double p) {
        return random.nextDouble() < p;
    }

    @SafeVarargs
    final <T> T one(T... items) {
        return items[random.nextInt(items.length)];
    }

    /** A length that is mostly small, sometimes large: 0-8, 9-300, up to {@code max}. */
    int size(int max) {
        int r = random.nextInt(100);
        if (r < 80) {
            return random.nextInt(9);
        }
        if (r < 97) {
            return Math.min(max, 9 + random.nextInt(292));
        }
        return random.nextInt(max + 1);
    }

    byte[] binary(int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    String number() {
        return one(NUMBERS);
    }

    /** A text of {@code length} letters and digits. */
    String word(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-".charAt(random.nextInt(65)));
        }
        return sb.toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
