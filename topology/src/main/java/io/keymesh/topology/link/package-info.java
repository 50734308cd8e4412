/** Replication links between nodes: the log sender, the peer puller, backend calls and link statistics. */
package io.keymesh.topology.link;
