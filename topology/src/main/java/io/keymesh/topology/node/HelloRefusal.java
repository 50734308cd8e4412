package io.keymesh.topology.node;

/** A KEYMESH HELLO or PULL that this node refuses; the message is the error reply (starting "ERR"). */
public final class HelloRefusal extends Exception {
    public HelloRefusal(String message) {
        super(message);
    }
}
