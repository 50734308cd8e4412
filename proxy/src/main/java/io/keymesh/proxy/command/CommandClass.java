package io.keymesh.proxy.command;

/** What a command does, in the terms routing and replication care about. */
public enum CommandClass {
    /** Reads user data and changes nothing. */
    READ,
    /** Changes user data; replicated with a merge rule. */
    WRITE,
    /** Server administration and introspection (INFO, CONFIG, SAVE, DEBUG ...). */
    ADMIN,
    /** May block the connection waiting for data (BLPOP, XREAD BLOCK, WAIT ...). */
    BLOCKING,
    /** Publish/subscribe. */
    PUBSUB,
    /** MULTI/EXEC/DISCARD/WATCH/UNWATCH. */
    TRANSACTION,
    /** Connection state (AUTH, HELLO, SELECT, CLIENT, PING, QUIT, RESET ...). */
    CONNECTION,
    /** EVAL, FCALL, SCRIPT and FUNCTION. */
    SCRIPTING
}
