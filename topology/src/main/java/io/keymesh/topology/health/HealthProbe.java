package io.keymesh.topology.health;

/** Runs one health check against an upstream; blocking, and bounded by the check timeout it was built with. */
@FunctionalInterface
public interface HealthProbe {
    /** Checks {@code upstream} once and says whether it passed and what was seen. Never throws for check failures. */
    ProbeResult probe(UpstreamAddress upstream);

    /**
     * What one check found.
     *
     * @param passed whether the upstream answered PING and reported itself a primary in time
     * @param detail what it answered, or why the check failed, for logs and INFO
     * @param timedOut whether it failed for want of an answer within the timeout (rather than an
     *                 answer that was wrong, or a refused connection)
     */
    record ProbeResult(boolean passed, String detail, boolean timedOut) {
        /** A passed check. */
        public static ProbeResult pass(String detail) {
            return new ProbeResult(true, detail, false);
        }

        /** A failed check. */
        public static ProbeResult fail(String detail) {
            return new ProbeResult(false, detail, false);
        }

        /** A check that got no answer within its timeout. */
        public static ProbeResult timeout(String detail) {
            return new ProbeResult(false, detail, true);
        }
    }
}
