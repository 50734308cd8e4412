package io.keymesh.proxy.route;

import io.keymesh.proxy.resp.Replies;
import io.keymesh.storage.conn.ReplyReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Removes the backend's authentication parameters (requirepass, masterauth, masteruser, aclfile)
 * from a CONFIG GET reply: they describe how keymesh reaches its redis-server, not the users of
 * keymesh, whose rules ACL LIST and ACL GETUSER show.
 */
final class AuthConfigReply {
    static final Set<String> HIDDEN = Set.of("requirepass", "masterauth", "masteruser", "aclfile");

    private AuthConfigReply() {
    }

    /** The reply without the hidden parameters, or {@code reply} itself when it has none of them. */
    static ByteBuf rewrite(ByteBuf reply, ByteBufAllocator alloc, int protocol) {
        byte type = reply.getByte(reply.readerIndex());
        if (type != '*' && type != '%') {
            return reply;
        }
        ReplyReader r = new ReplyReader(reply.duplicate());
        long n = r.readAggregate();
        long pairs = type == '%' ? n : n / 2;
        List<byte[]> kept = new ArrayList<>((int) Math.min(pairs * 2, 1024));
        boolean hid = false;
        for (long i = 0; i < pairs; i++) {
            byte[] name = r.readString();
            byte[] value = r.readString();
            if (HIDDEN.contains(new String(name, StandardCharsets.US_ASCII))) {
                hid = true;
            } else {
                kept.add(name);
                kept.add(value);
            }
        }
        if (!hid) {
            return reply;
        }
        Replies.Writer out = new Replies.Writer(alloc, protocol).map(kept.size() / 2);
        for (byte[] item : kept) {
            ByteBuf bulk = Replies.bulk(alloc, item);
            out.raw(bulk);
            bulk.release();
        }
        return out.done();
    }
}
