package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;

/** Receives the reply to one request sent on a {@link BackendLink}, or the reason none will come. */
public interface ReplySink {
    /**
     * The complete reply frame: {@code length} bytes of {@code buffer} at {@code index}, valid only
     * during this call (copy them, or take a retained slice, to keep them).
     */
    void onReply(ByteBuf buffer, int index, int length);

    /** The link failed before the reply arrived; {@code error} is a RESP error text without '-'. */
    void onFailure(String error);
}
