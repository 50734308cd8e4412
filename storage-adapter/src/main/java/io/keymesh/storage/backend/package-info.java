/** Describing and checking the Redis server that holds a node's data, whether keymesh manages it or not. */
package io.keymesh.storage.backend;
