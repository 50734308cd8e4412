package io.keymesh.storage.backend;

import java.util.ArrayList;
import java.util.List;

/** Numeric comparison of Redis version strings such as "7.0.15" (so 7.10 is newer than 7.9). */
public final class BackendVersion {

    /** The oldest Redis keymesh runs on: functions (FUNCTION LOAD/FCALL) appeared in 7.0. */
    public static final String MINIMUM = "7.0.0";

    private BackendVersion() {
    }

    /**
     * Compares two versions component by component as numbers; missing components count as 0
     * ("7.0" equals "7.0.0") and anything after a component's leading digits is ignored
     * ("7.2.4-rc1" is 7.2.4).
     *
     * @return negative, zero or positive as {@code a} is older than, equal to or newer than {@code b}
     * @throws IllegalArgumentException if either string is not a version
     */
    public static int compare(String a, String b) {
        int[] x = parse(a);
        int[] y = parse(b);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? x[i] : 0;
            int yi = i < y.length ? y[i] : 0;
            if (xi != yi) {
                return Integer.compare(xi, yi);
            }
        }
        return 0;
    }

    /** Whether {@code version} is {@code minimum} or newer. */
    public static boolean isAtLeast(String version, String minimum) {
        return compare(version, minimum) >= 0;
    }

    /** Splits a version into its numeric components, e.g. "7.10.2" into [7, 10, 2]. */
    public static int[] parse(String version) {
        if (version == null || version.isBlank()) {
            throw new IllegalArgumentException("not a version: " + (version == null ? "null" : "\"\""));
        }
        List<Integer> parts = new ArrayList<>();
        for (String part : version.trim().split("\\.", -1)) {
            int end = 0;
            while (end < part.length() && Character.isDigit(part.charAt(end)) && part.charAt(end) < 128) {
                end++;
            }
            if (end == 0) {
                if (parts.isEmpty()) {
                    throw new IllegalArgumentException("not a version: \"" + version + "\"");
                }
                break; // e.g. "7.2.x": keep what was numeric
            }
            try {
                parts.add(Integer.parseInt(part.substring(0, end)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("version component too large in \"" + version + "\"", e);
            }
            if (end < part.length()) {
                break; // a suffix such as "-rc1" ends the numeric part
            }
        }
        return parts.stream().mapToInt(Integer::intValue).toArray();
    }
}
