/**
 * Replication links between nodes: the state machines {@code PullMachine} and {@code SendMachine},
 * the drivers {@code PullLink} and {@code SendLink} that run them on Netty event loops with the
 * threads of a node's {@code LinkRuntime} and {@code LogTailer}, backend calls and link statistics.
 */
package io.keymesh.topology.link;
