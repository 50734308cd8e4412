package io.keymesh.proxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keymesh.proxy.config.KeymeshConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A session's invalidation pushes never overtake a reply that arrived before them: a client that
 * caches what it read must not see the invalidation ahead of the value it then caches.
 */
class InvalidationOrderTest {
    private static final KeymeshConfig.OutputLimit NONE = new KeymeshConfig.OutputLimit(0, 0, 0);

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static String written(EmbeddedChannel channel) {
        channel.runPendingTasks();
        channel.flushOutbound();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    private static void reply(PendingReply place, String frame) {
        ByteBuf b = bytes(frame);
        place.onReply(b, 0, b.readableBytes());
        b.release();
    }

    @Test
    void aPushWaitsBehindARepliedValueThatWaitsForAnEarlierReply() {
        EmbeddedChannel channel = new EmbeddedChannel();
        ClientSession s = new ClientSession(channel, new SessionRegistry(),
                io.keymesh.proxy.acl.AclUsers.openDefault(io.keymesh.proxy.acl.AclCatalog.of(
                        io.keymesh.proxy.command.Commands.standard(), java.util.Map.of())), NONE, NONE, NONE);
        String push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";
        PendingReply slow = s.expectReply(null);       // e.g. a write forwarded to another node
        PendingReply get = s.expectReply(null);
        reply(get, "$2\r\nv1\r\n");                   // GET k arrived, but must wait for the reply before it
        ByteBuf p = bytes(push);
        s.onUnsolicited(p, 0, p.readableBytes());     // then k's invalidation
        p.release();
        assertEquals("", written(channel), "nothing may go out ahead of the first reply");
        reply(slow, "+OK\r\n");
        assertEquals("+OK\r\n$2\r\nv1\r\n" + push, written(channel), "the value first, then its invalidation");
        ByteBuf again = bytes(push);
        s.onUnsolicited(again, 0, again.readableBytes());
        again.release();
        assertEquals(push, written(channel), "with nothing waiting a push goes out at once");
        channel.finishAndReleaseAll();
    }
}
