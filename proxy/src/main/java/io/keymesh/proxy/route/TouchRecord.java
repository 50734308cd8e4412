package io.keymesh.proxy.route;

import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.storage.retry.Backoff;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One touch record ({@link io.keymesh.storage.apply.ApplyCalls#touch}) of a key a blocking write changed, sent on the loop's shared link.
 * While a script holds the backend, Redis answers it -BUSY and runs nothing; the record is then
 * sent again, after a {@link Backoff} from 10 to 250 ms, until Redis runs it, so the change still reaches the log
 * (and the peers) once. Any other failure is logged: the key's next write records it again.
 */
final class TouchRecord implements ReplySink {
    private static final Logger log = LoggerFactory.getLogger(TouchRecord.class);

    private final EventLoop loop;
    private final Supplier<BackendLink> link;
    private final ByteBuf request;            // kept for a resend; released once answered or failed
    private final Backoff backoff = new Backoff(10, 250);
    private int retries;

    private TouchRecord(EventLoop loop, Supplier<BackendLink> link, ByteBuf request) {
        this.loop = loop;
        this.link = link;
        this.request = request;
    }

    /** Sends {@code request} (taking it) on {@code link}'s current link; call on {@code loop}. */
    static void send(EventLoop loop, Supplier<BackendLink> link, ByteBuf request) {
        new TouchRecord(loop, link, request).sendNow();
    }

    private void sendNow() {
        link.get().send(request.retainedDuplicate(), this);
    }

    @Override
    public void onReply(ByteBuf buffer, int index, int length) {
        if (ReplyScanner.isError(buffer, index)) {
            String error = buffer.toString(index, length, StandardCharsets.UTF_8).trim();
            if (error.startsWith("-BUSY ")) {
                if (retries++ == 0) {
                    log.debug("touch record after a blocking write: backend busy, retrying until it runs");
                }
                loop.schedule(this::sendNow, backoff.next(), TimeUnit.MILLISECONDS);
                return;
            }
            log.warn("touch record after a blocking write failed: {}", error);
        }
        request.release();
    }

    @Override
    public void onFailure(String error) {
        log.warn("touch record after a blocking write not sent: {}", error);
        request.release();
    }
}
