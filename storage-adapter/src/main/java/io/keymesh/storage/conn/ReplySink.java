package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;

/** Receives the reply to one request sent on a {@link BackendLink}, or the reason none will come. */
public interface ReplySink {
    /** The complete reply frame; the sink owns (must release) it. */
    void onReply(ByteBuf frame);

    /** The link failed before the reply arrived; {@code error} is a RESP error text without '-'. */
    void onFailure(String error);
}
