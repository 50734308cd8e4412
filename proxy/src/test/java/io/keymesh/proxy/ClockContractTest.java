package io.keymesh.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.MainSources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One injected clock: no main source of any module reads the machine's clocks except storage-adapter's
 * {@code TimeSource.system()} (docs/design/links.md, "Time"). Everything else is handed a source.
 */
class ClockContractTest {
    /** A read of the machine's clock, however spelled. */
    private static final Pattern SYSTEM_CLOCK = Pattern.compile(
            "System\\s*\\.\\s*(currentTimeMillis|nanoTime)\\s*\\(|\\b(Instant|LocalDateTime|LocalDate|LocalTime|ZonedDateTime"
                    + "|OffsetDateTime|OffsetTime|Year|YearMonth|MonthDay)\\s*\\.\\s*now\\s*\\(|Clock\\s*\\.\\s*(system|tick)"
                    + "|new\\s+(java\\.util\\.)?Date\\s*\\(\\s*\\)|Calendar\\s*\\.\\s*getInstance\\s*\\(");
    /** The one place allowed to read it. */
    private static final Path READER = Path.of("storage-adapter/src/main/java/io/keymesh/storage/time/TimeSource.java");

    private static List<String> reads(String module) throws IOException {
        return MainSources.linesMatching(module, SYSTEM_CLOCK);
    }

    @Test
    void onlyTheTimeSourceReadsTheSystemClock() throws IOException {
        List<String> outside = new ArrayList<>();
        for (String module : List.of("storage-adapter", "topology", "proxy")) {
            for (String read : reads(module)) {
                if (!read.startsWith(READER + ":")) {
                    outside.add(read);
                }
            }
        }
        assertEquals(List.of(), outside, "take time from the TimeSource handed in (io.keymesh.storage.time.TimeSource)");
    }

    @Test
    void theScanFindsTheOneReader() throws IOException {
        List<String> reads = reads("storage-adapter");
        assertEquals(2, reads.size(), "wall and monotonic time, read once each: " + reads);
        assertTrue(reads.stream().allMatch(r -> r.startsWith(READER + ":")), reads.toString());
    }
}
