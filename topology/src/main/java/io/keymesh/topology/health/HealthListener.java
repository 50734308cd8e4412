package io.keymesh.topology.health;

/** Told about every state change of a {@link HealthCheck}, with the reason. */
@FunctionalInterface
public interface HealthListener {
    /**
     * {@code upstream} went from {@code from} to {@code to}; {@code reason} is the check result that
     * caused it. Called on the checking thread, after the check's own state is updated.
     */
    void onStateChange(UpstreamAddress upstream, HealthState from, HealthState to, String reason);
}
