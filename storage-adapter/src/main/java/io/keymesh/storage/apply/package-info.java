/** The apply library: the Redis Functions that apply writes, merge remote entries and keep the log. */
package io.keymesh.storage.apply;
