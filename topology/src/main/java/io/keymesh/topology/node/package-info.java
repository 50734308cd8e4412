/** The node's place in the mesh: its identity, mesh settings, and the links it runs and serves. */
package io.keymesh.topology.node;
