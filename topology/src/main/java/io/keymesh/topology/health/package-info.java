/**
 * HAProxy-style health checks of upstream primaries: the per-upstream state machine
 * ({@link io.keymesh.topology.health.HealthCheck}), the PING + ROLE probe over TCP and the monitor
 * thread that drives them.
 */
package io.keymesh.topology.health;
