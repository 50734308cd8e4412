package io.keymesh.proxy.command;

/** How keymesh serves a command: the routing decision stored in each command table row. */
public enum Handling {
    /** Forwarded as the client's bytes over the event loop's shared, pipelined backend connection. */
    FORWARD,
    /**
     * Forwarded over a backend connection of the client's own, which it keeps from then on, because
     * the command leaves state on the connection or blocks it (MULTI, WATCH, BLPOP, CLIENT TRACKING).
     */
    PIN,
    /** Like PIN, and the session enters subscribe mode: backend pushes go straight to the client. */
    SUBSCRIBE,
    /** Answered by keymesh itself (AUTH, HELLO, SELECT, CLIENT ID, INFO, QUIT ...). */
    LOCAL,
    /** Refused with an error because forwarding it would break the node (SHUTDOWN, REPLICAOF ...). */
    REFUSE
}
