package io.keymesh.proxy.session;

import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;

import java.util.function.Function;

/**
 * A place in a session's reply order: filled by the backend (as a {@link ReplySink}) or by keymesh,
 * written to the client once every earlier place has been written.
 */
final class PendingReply implements ReplySink {
    private final ClientSession session;
    private final Function<ByteBuf, ByteBuf> transform;   // rewrites the backend reply (INFO, HELLO); may be null
    ByteBuf reply;
    boolean done;
    boolean suppressed;                                     // CLIENT REPLY OFF/SKIP: consume, don't write
    java.util.List<ByteBuf> pushesAfter;                    // pushes that arrived after this reply (ClientSession.push)
    io.keymesh.proxy.command.CommandSpec timed;             // the command whose latency this reply ends (null: none)
    long dispatchedNanos;                                   // the session time source's monotonic nanos at dispatch

    PendingReply(ClientSession session, Function<ByteBuf, ByteBuf> transform) {
        this.session = session;
        this.transform = transform;
    }

    @Override
    public void onReply(ByteBuf buffer, int index, int length) {
        if (session.gone()) {
            return;
        }
        if (timed != null) {
            session.recordBackend(this);
        }
        if (transform == null) {
            if (!session.writeIfNext(this, buffer, index, length)) {
                reply = buffer.retainedSlice(index, length);
                done = true;
                session.drain();
            }
            return;
        }
        ByteBuf out;
        ByteBuf view = buffer.slice(index, length);
        try {
            out = transform.apply(view);
            if (out == view) {
                out = buffer.retainedSlice(index, length);
            }
        } catch (RuntimeException e) {
            out = io.keymesh.proxy.resp.Replies.error(session.channel().alloc(), "ERR keymesh: " + e.getMessage());
        }
        reply = out;
        done = true;
        session.drain();
    }

    @Override
    public void onFailure(String error) {
        if (session.gone()) {
            return;
        }
        reply = io.keymesh.proxy.resp.Replies.error(session.channel().alloc(), error);
        done = true;
        session.drain();
    }

    void fill(ByteBuf value) {
        reply = value;
        done = true;
    }
}
