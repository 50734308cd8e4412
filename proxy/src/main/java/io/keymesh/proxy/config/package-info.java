/** Node configuration read from HOCON with -D overrides. */
package io.keymesh.proxy.config;
