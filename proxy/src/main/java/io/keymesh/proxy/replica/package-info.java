/** The replica role on the proxy side: following an upstream, write policies, region-local keys. */
package io.keymesh.proxy.replica;
