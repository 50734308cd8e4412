package io.keymesh.topology.link;

/**
 * The node's redis-server refused a frame an upstream sent (an error reply of the apply library or
 * of Redis, such as a DUMP payload it cannot restore): the link is refused with the reason, as for
 * a frame the machine refuses itself.
 */
public final class FrameRefusedException extends RuntimeException {
    public FrameRefusedException(String message) {
        super(message);
    }
}
