/** Link wire format: RESP encoding and parsing, the handshake and the frames peers exchange. Pure code. */
package io.keymesh.topology.wire;
