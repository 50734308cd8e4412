package io.keymesh.proxy.route;

import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.proxy.resp.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a CONFIG GET reply so that "databases" says how many databases clients can use (N),
 * not how many the backend has (2N + 1 with replication on). Other parameters pass unchanged.
 */
final class DatabasesReply {
    private static final byte[] NAME = "databases".getBytes(StandardCharsets.US_ASCII);

    private DatabasesReply() {
    }

    /** The reply with the databases value replaced, or {@code reply} itself when it has none. */
    static ByteBuf rewrite(ByteBuf reply, ByteBufAllocator alloc, int protocol, int userDatabases) {
        byte type = reply.getByte(reply.readerIndex());
        if (type != '*' && type != '%') {
            return reply;
        }
        ReplyReader r = new ReplyReader(reply);
        long n = r.readAggregate();
        long pairs = type == '%' ? n : n / 2;
        List<byte[]> items = new ArrayList<>((int) Math.min(pairs * 2, 1024));
        boolean found = false;
        for (long i = 0; i < pairs; i++) {
            byte[] name = r.readString();
            byte[] value = r.readString();
            if (java.util.Arrays.equals(name, NAME)) {
                value = Integer.toString(userDatabases).getBytes(StandardCharsets.US_ASCII);
                found = true;
            }
            items.add(name);
            items.add(value);
        }
        if (!found) {
            return reply;
        }
        Replies.Writer out = new Replies.Writer(alloc, protocol).map((int) pairs);
        for (byte[] item : items) {
            ByteBuf bulk = Replies.bulk(alloc, item);
            out.raw(bulk);
            bulk.release();
        }
        return out.done();
    }
}
