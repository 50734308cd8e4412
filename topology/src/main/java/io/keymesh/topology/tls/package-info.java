/** TLS for a node: settings, PEM certificate and key loading, reloading on file change, refused handshakes. */
package io.keymesh.topology.tls;
