/** The command table: one declarative row per Redis command with its class, keys, handling and merge rule. */
package io.keymesh.proxy.command;
