package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;

/** Receives what a {@link BackendLink} produces outside the request/reply FIFO. */
public interface LinkListener {
    /**
     * A frame no request waits for: a RESP3 push, or any frame while the FIFO is empty (subscribe
     * mode). Like {@link ReplySink#onReply}, the bytes are valid only during the call.
     */
    void onUnsolicited(ByteBuf buffer, int index, int length);

    /** The link is closed; every pending sink has already been failed. */
    void onClosed(BackendLink link);

    /** The link's outbound buffer drained below its low-water mark: paused senders may resume. */
    default void onWritable(BackendLink link) {
    }

    /** A listener that drops unsolicited frames and ignores closure. */
    LinkListener NONE = new LinkListener() {
        @Override
        public void onUnsolicited(ByteBuf buffer, int index, int length) {
        }

        @Override
        public void onClosed(BackendLink link) {
        }
    };
}
