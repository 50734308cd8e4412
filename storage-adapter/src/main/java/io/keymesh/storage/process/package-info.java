/** Starting, supervising and stopping the local redis-server that keymesh manages as a node's storage. */
package io.keymesh.storage.process;
