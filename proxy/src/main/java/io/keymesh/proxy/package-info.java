/** The keymesh process: command line, node composition and lifecycle. */
package io.keymesh.proxy;
