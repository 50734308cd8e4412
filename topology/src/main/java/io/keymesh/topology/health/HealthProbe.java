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
     */
    record ProbeResult(boolean passed, String detail) {
        /** A passed check. */
        public static ProbeResult pass(String detail) {
            return new ProbeResult(true, detail);
        }

        /** A failed check. */
        public static ProbeResult fail(String detail) {
            return new ProbeResult(false, detail);
        }
    }
}
