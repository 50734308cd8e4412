package io.keymesh.proxy.route;

import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.session.ClientSession;
import io.keymesh.proxy.session.Invalidations;
import io.keymesh.proxy.session.SessionRegistry;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Function;

/**
 * Client-side caching through keymesh (docs/design/resp.md, "Client-side caching"). Redis tracks
 * on the session's own link, so every mode keeps Redis' semantics and writes from peers, expiries
 * and flushes invalidate natively. What keymesh translates is the REDIRECT client id, which names a
 * keymesh client: the session gets a second link of its own, in RESP3, that Redis redirects to
 * (its Redis id replaces the keymesh id in the command), and every invalidation arriving there is
 * relayed to the keymesh client named, as Redis would have sent it. CLIENT GETREDIR and CLIENT
 * TRACKINGINFO report the keymesh id.
 */
final class ClientTracking {
    /** The rows handled here. */
    static final Set<String> ROWS = Set.of("CLIENT|TRACKING", "CLIENT|GETREDIR", "CLIENT|TRACKINGINFO");
    private static final byte[] REDIRECT_FIELD = "redirect\r\n:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FLAGS_FIELD = "$5\r\nflags\r\n".getBytes(StandardCharsets.US_ASCII);

    private final SessionRegistry sessions;

    ClientTracking(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    /**
     * Sends a CLIENT TRACKING, GETREDIR or TRACKINGINFO request on the session's own link (already
     * pinned), translating client ids; releases it.
     */
    void handle(ClientSession s, RespRequest r, CommandSpec spec, BackendPool pool) {
        try {
            switch (spec.name()) {
                case "CLIENT|TRACKING" -> tracking(s, r, pool);
                case "CLIENT|GETREDIR" -> send(s, r, s.redirectLink() == null ? null
                        : reply -> redirectAsKeymeshId(reply, s.channel().alloc(), s.redirectTarget()));
                case "CLIENT|TRACKINGINFO" -> send(s, r, s.redirectLink() == null ? null : reply -> {
                    ByteBuf withId = redirectAsKeymeshId(reply, s.channel().alloc(), s.redirectTarget());
                    if (!s.redirectBroken()) {
                        return withId;
                    }
                    ByteBuf out = withBrokenRedirectFlag(withId, s.channel().alloc());
                    if (withId != reply && out != withId) {
                        withId.release();            // the transform's own buffer; reply is the link's
                    }
                    return out;
                });
                default -> throw new IllegalArgumentException(spec.name());
            }
        } finally {
            r.release();
        }
    }

    private void tracking(ClientSession s, RespRequest r, BackendPool pool) {
        int at = redirectArgument(r);
        if (at < 0) {
            send(s, r, s.redirectLink() == null ? null : reply -> {
                if (reply.getByte(reply.readerIndex()) == '+') {
                    s.redirectBroken(false);         // Redis clears the flag when tracking is switched
                }
                return reply;
            });
            return;
        }
        long target = r.argLong(at);
        if (target == Long.MIN_VALUE) {
            send(s, r, null);                        // Redis' own error for a non-integer id
            return;
        }
        if (sessions.get(target) == null) {
            s.reply(Replies.error(s.channel().alloc(), "ERR The client ID you want redirect to does not exist"));
            return;
        }
        String[] args = new String[r.argc()];
        for (int i = 0; i < args.length; i++) {
            args[i] = r.argString(i);
        }
        Function<ByteBuf, ByteBuf> onReply = reply -> {
            if (reply.getByte(reply.readerIndex()) == '+') {
                s.redirectTarget(target);
                s.redirectBroken(false);
            }
            return reply;
        };
        BackendLink own = s.link();
        s.sendingOn(own);
        ReplySink place = s.expectReply(onReply);
        BackendLink relay = s.redirectLink();
        if (relay == null) {
            relay = pool.dedicated(0, 3, new Relay(s));
            s.redirectLink(relay);
        }
        s.trackingSetup(true);                       // later requests wait until the command is on the link
        relay.send(RespCommand.encode("CLIENT", "ID"), new ReplySink() {
            @Override
            public void onReply(ByteBuf buffer, int index, int length) {
                s.trackingSetup(false);
                if (buffer.getByte(index) != ':') {
                    place.onReply(buffer, index, length);
                    return;
                }
                args[at] = buffer.toString(index + 1, length - 3, StandardCharsets.US_ASCII);
                own.send(RespCommand.encode(args), place);
            }

            @Override
            public void onFailure(String error) {
                s.trackingSetup(false);
                place.onFailure(error);
            }
        });
    }

    /** The index of the last REDIRECT's client id in a CLIENT TRACKING ON request, or -1. */
    private static int redirectArgument(RespRequest r) {
        if (r.argc() < 3 || !r.argEquals(2, "ON")) {     // CLIENT TRACKING alone: Redis' arity error
            return -1;
        }
        int at = -1;
        for (int i = 3; i + 1 < r.argc(); i++) {
            if (r.argEquals(i, "REDIRECT")) {
                at = ++i;
            }
        }
        return at;
    }

    private static void send(ClientSession s, RespRequest r, Function<ByteBuf, ByteBuf> transform) {
        BackendLink own = s.link();
        s.sendingOn(own);
        own.send(r.buffer(), r.frameIndex(), r.frameLength(), s.expectReply(transform));
    }

    /**
     * GETREDIR's integer, or TRACKINGINFO's redirect field, with the keymesh id for the relay link's
     * Redis id (Redis' -1 and 0, no tracking and no redirect, stay).
     */
    static ByteBuf redirectAsKeymeshId(ByteBuf reply, ByteBufAllocator alloc, long keymeshId) {
        int start = reply.readerIndex();
        int end = reply.writerIndex();
        int number;
        if (reply.getByte(start) == ':') {
            number = start + 1;
        } else {
            number = indexOf(reply, start, end, REDIRECT_FIELD);
            if (number < 0) {
                return reply;
            }
            number += REDIRECT_FIELD.length;
        }
        int eol = reply.indexOf(number, end, (byte) '\r');
        if (eol < 0 || reply.getByte(number) == '-' || (eol == number + 1 && reply.getByte(number) == '0')) {
            return reply;
        }
        ByteBuf out = alloc.buffer(reply.readableBytes() + 20);
        out.writeBytes(reply, start, number - start);
        out.writeCharSequence(Long.toString(keymeshId), StandardCharsets.US_ASCII);
        out.writeBytes(reply, eol, end - eol);
        return out;
    }

    /** TRACKINGINFO's reply with {@code broken_redirect} added last to its flags, as Redis lists it. */
    static ByteBuf withBrokenRedirectFlag(ByteBuf reply, ByteBufAllocator alloc) {
        int start = reply.readerIndex();
        int end = reply.writerIndex();
        int field = indexOf(reply, start, end, FLAGS_FIELD);
        if (field < 0) {
            return reply;
        }
        int header = field + FLAGS_FIELD.length;               // '*' or '~' <count> CRLF
        int eol = reply.indexOf(header, end, (byte) '\r');
        int count = Integer.parseInt(reply.toString(header + 1, eol - header - 1, StandardCharsets.US_ASCII));
        int p = eol + 2;
        for (int i = 0; i < count; i++) {                      // each flag is a bulk string
            int lenEnd = reply.indexOf(p, end, (byte) '\r');
            p = lenEnd + 2 + Integer.parseInt(reply.toString(p + 1, lenEnd - p - 1, StandardCharsets.US_ASCII)) + 2;
        }
        ByteBuf out = alloc.buffer(reply.readableBytes() + 24);
        out.writeBytes(reply, start, header + 1 - start);
        out.writeCharSequence(Integer.toString(count + 1), StandardCharsets.US_ASCII);
        out.writeBytes(reply, eol, p - eol);
        out.writeCharSequence("$15\r\nbroken_redirect\r\n", StandardCharsets.US_ASCII);
        out.writeBytes(reply, p, end - p);
        return out;
    }

    private static int indexOf(ByteBuf buffer, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * The listener of a session's redirect link: relays each invalidation, without node-state key
     * names, to the keymesh client the session's tracking names; when that client is gone, a RESP3
     * tracking session gets Redis' {@code tracking-redir-broken} push instead.
     */
    private final class Relay implements LinkListener {
        private final ClientSession tracking;

        Relay(ClientSession tracking) {
            this.tracking = tracking;
        }

        @Override
        public void onUnsolicited(ByteBuf buffer, int index, int length) {
            if (!Invalidations.isInvalidate(buffer, index, length)) {
                return;
            }
            ByteBufAllocator alloc = tracking.channel().alloc();
            ByteBuf push = Invalidations.withoutStateKeys(alloc, buffer, index, length);
            if (push == null) {
                push = buffer.copy(index, length);
            } else if (!push.isReadable()) {
                return;
            }
            long id = tracking.redirectTarget();
            ClientSession target = id == 0 ? null : sessions.get(id);
            if (target == null) {
                push.release();
                tracking.redirectBroken(id != 0);
                if (id != 0 && tracking.protocol() == 3 && !tracking.isClosing()) {
                    ByteBuf broken = Invalidations.redirectBroken(alloc, id);
                    tracking.channel().eventLoop().execute(() -> tracking.deliverPush(broken));
                }
                return;
            }
            ByteBuf owned = push;
            target.channel().eventLoop().execute(() -> target.deliverInvalidation(owned));
        }

        @Override
        public void onClosed(BackendLink link) {
            if (tracking.redirectLink() == link) {
                tracking.redirectLink(null);
            }
        }
    }
}
