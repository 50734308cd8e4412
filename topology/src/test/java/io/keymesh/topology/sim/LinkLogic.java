package io.keymesh.topology.sim;

import java.util.List;

/**
 * The seam between the simulation and the link logic it drives: the pulling and the sending side of
 * one connection, each fed events (open, a frame, a tick) with the virtual time, each answering with
 * the frames to send to the other side. A method that throws closes the connection (the exception's
 * message is the reason); the simulation then drops both sides, and the node pulls again on a new
 * connection after a backoff. Frames are opaque to the simulation beyond {@link SimNetwork#describe}.
 */
public interface LinkLogic {
    /** The pulling side of a new connection from {@code self} to {@code upstream}, for the logs of {@code origins}. */
    Puller puller(LinkHost self, String upstream, List<String> origins);

    /** The sending side on {@code self} of a connection whose first frame from the puller is {@code request}. */
    Sender sender(LinkHost self, Object request, long nowMillis) throws Exception;

    /** The pulling side of one connection. */
    interface Puller {
        /** The connection is up: the frames that open it (the pull request, first). */
        List<Object> open(long nowMillis) throws Exception;

        /** A frame from the sender arrived. */
        List<Object> onFrame(Object frame, long nowMillis) throws Exception;

        /** Time passed (every simulation tick). */
        List<Object> onTick(long nowMillis) throws Exception;
    }

    /** The sending side of one connection. */
    interface Sender {
        /** A frame from the puller arrived (after the request). */
        List<Object> onFrame(Object frame, long nowMillis) throws Exception;

        /** Time passed (every simulation tick): the batches and heartbeats now due. */
        List<Object> onTick(long nowMillis) throws Exception;

        /** Bytes sent on this connection and not yet acknowledged (checked against the memory bound). */
        long unackedBytes();
    }
}
