/** The client port: Netty bootstrap, the client pipeline, and the session handler at its end. */
package io.keymesh.proxy.server;
