package io.keymesh.proxy.route;

import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * The reply to a run's one call (an array, one element per client request in the run's order) cut
 * into one reply per request, each handed to its client's sink; an error for the whole call goes to
 * every request of the run.
 */
record RunReplies(List<ReplySink> sinks, String what) implements ReplySink {
    @Override
    public void onReply(ByteBuf buffer, int index, int length) {
        if (buffer.getByte(index) != '*') {
            for (ReplySink sink : sinks) {
                sink.onReply(buffer, index, length);
            }
            return;
        }
        int first = buffer.indexOf(index, index + length, (byte) '\n') + 1;
        ByteBuf elements = buffer.slice(first, index + length - first);
        ReplyScanner scanner = new ReplyScanner();
        int given = 0;
        while (given < sinks.size() && elements.isReadable()) {
            int n = scanner.scan(elements);
            if (n == ReplyScanner.INCOMPLETE) {
                break;
            }
            sinks.get(given++).onReply(buffer, first + elements.readerIndex(), n);
            elements.skipBytes(n);
        }
        for (int i = given; i < sinks.size(); i++) {
            sinks.get(i).onFailure("ERR keymesh: a batched " + what + " got no reply of its own from the backend");
        }
    }

    @Override
    public void onFailure(String error) {
        for (ReplySink sink : sinks) {
            sink.onFailure(error);
        }
    }
}
