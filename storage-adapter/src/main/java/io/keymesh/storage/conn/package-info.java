/** Raw pipelined connections to the backend Redis: reply framing, per-event-loop links, the connector. */
package io.keymesh.storage.conn;
