/** Time: the injectable time source and the hybrid logical clock that orders writes across nodes. */
package io.keymesh.topology.clock;
