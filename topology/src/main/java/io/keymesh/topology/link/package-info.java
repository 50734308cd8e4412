/**
 * Replication links between nodes: the state machines {@code PullMachine} and {@code SendMachine},
 * the drivers {@code PullLink} and {@code SendLink} that run them, backend calls and link statistics.
 */
package io.keymesh.topology.link;
