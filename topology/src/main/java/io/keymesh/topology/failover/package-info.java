/**
 * Replica failover: choosing which primary to follow from health changes
 * ({@link io.keymesh.topology.failover.PrimarySelector}) and the replica-side configuration records.
 */
package io.keymesh.topology.failover;
