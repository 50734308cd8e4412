package io.keymesh.topology.health;

/**
 * Health of one upstream as its checks see it, in HAProxy's terms: an upstream stays usable while
 * it is failing fewer than {@code fall} checks in a row, and stays unusable while it has passed
 * fewer than {@code rise} in a row.
 */
public enum HealthState {
    /** No check has completed yet; the first result decides UP or DOWN at once. */
    UNCHECKED(false),
    /** Checks pass. */
    UP(true),
    /** Was up, has failed at least one check, fewer than {@code fall} in a row: still usable. */
    GOING_DOWN(true),
    /** Failed {@code fall} checks in a row (or the first one): not usable. */
    DOWN(false),
    /** Was down, has passed at least one check, fewer than {@code rise} in a row: not usable yet. */
    GOING_UP(false);

    private final boolean usable;

    HealthState(boolean usable) {
        this.usable = usable;
    }

    /** Whether a replica may follow an upstream in this state. */
    public boolean isUp() {
        return usable;
    }
}
