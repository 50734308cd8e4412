/** The RESP wire format on the client side: request framing, limits and the replies keymesh builds. */
package io.keymesh.proxy.resp;
