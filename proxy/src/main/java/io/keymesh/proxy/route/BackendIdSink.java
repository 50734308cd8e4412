package io.keymesh.proxy.route;

import io.keymesh.proxy.session.ClientSession;
import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;

/**
 * Takes the reply of the CLIENT ID sent first on a session's dedicated link: the redis-server's
 * id of that connection, which CLIENT UNBLOCK of the keymesh client is sent for.
 */
final class BackendIdSink implements ReplySink {
    private final ClientSession session;

    BackendIdSink(ClientSession session) {
        this.session = session;
    }

    @Override
    public void onReply(ByteBuf buffer, int index, int length) {
        if (length < 4 || buffer.getByte(index) != ':') {
            return;                                  // an error: the session cannot be unblocked, nothing else changes
        }
        long id = 0;
        for (int i = index + 1; i < index + length - 2; i++) {
            int d = buffer.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return;
            }
            id = id * 10 + d;
        }
        session.backendClientId(id);
    }

    @Override
    public void onFailure(String error) {
    }
}
