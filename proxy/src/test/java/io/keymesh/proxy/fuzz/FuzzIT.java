package io.keymesh.proxy.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The seeded fuzzer in CI: malformed and edge-case inputs at the client port, from a fake peer (in
 * streaming links and inside snapshots) and from a fake replica ({@link Fuzz}); the node must answer every batch, keep its threads, stay under
 * its heap bound and serve correct replies after each batch. The seed is fixed so that a failure
 * replays with bench/fuzz.sh; bench/fuzz.sh runs a million cases with any seed.
 */
class FuzzIT {
    /** The CI seed; bench/fuzz.sh passes others (-Dkeymesh.fuzz.seed and the counts below). */
    static final long SEED = Long.getLong("keymesh.fuzz.seed", 17);

    @Test
    void nodeAnswersAndKeepsServingThroughAHundredThousandBadInputs() {
        Fuzz.Settings s = new Fuzz.Settings(SEED, Long.getLong("keymesh.fuzz.client", 97_500),
                Long.getLong("keymesh.fuzz.peer", 300), Long.getLong("keymesh.fuzz.replica", 2_200),
                Long.getLong("keymesh.fuzz.snapshot", 60),
                Long.getLong("keymesh.fuzz.from", 0), Long.getLong("keymesh.fuzz.deep-every", 25_000));
        Fuzz.Result r = assertTimeoutPreemptively(Duration.ofMinutes(Long.getLong("keymesh.fuzz.timeout-minutes", 20)),
                () -> Fuzz.run(s, System.out));
        System.out.println(r.summary(s));
        assertEquals(List.of(), r.findings(), "fuzzing findings (each replays with the command it prints)");
    }
}
