package io.keymesh.proxy.replica;

import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NettyTls;
import io.keymesh.proxy.session.ClientSession;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.health.UpstreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code forward} write policy: sends a client's write, as its own bytes, to the current
 * upstream's client port on a connection per client session (same db and protocol), then asks that
 * primary {@code KEYMESH POS} (its node id and log position, which now covers the write) and answers
 * the primary's reply only once this replica has applied that position, so the client reads its own
 * write here. Waiting is bounded by {@code forward-wait-timeout}; then the client gets an error saying
 * the write was made but has not arrived yet.
 */
public final class WriteForwarder {
    private static final AttributeKey<Upstream> LINK = AttributeKey.valueOf("keymesh.forward");
    private static final ByteBuf POS = RespCommand.encode("KEYMESH", "POS");

    private final ReplicaRole role;
    private final String username;
    private final String password;
    private final int connectTimeoutMillis;
    private final Duration waitTimeout;
    private final NettyTls tls;

    private record Upstream(String address, int db, int protocol, BackendLink link) {
    }

    /** {@code tls}: null for plain connections to upstreams, else TLS as the links use (keymesh.tls.replication). */
    public WriteForwarder(ReplicaRole role, String username, String password, int connectTimeoutMillis, NettyTls tls) {
        this.tls = tls;
        this.role = role;
        this.username = username;
        this.password = password;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.waitTimeout = role.settings().forwardWaitTimeout();
    }

    /** Forwards {@code r} (not released here) with {@code place} as the client's reply. */
    public void forward(ClientSession s, RespRequest r, ReplySink place) {
        Optional<UpstreamAddress> current = role.current();
        if (current.isEmpty()) {
            place.onFailure("ERR keymesh: no upstream primary is reachable to forward the write to (write-policy forward)");
            return;
        }
        BackendLink link = linkFor(s, current.get());
        ByteBuf request = r.buffer().retainedSlice(r.frameIndex(), r.frameLength());
        EventLoop loop = s.channel().eventLoop();
        link.send(request, new ReplySink() {
            @Override
            public void onReply(ByteBuf buffer, int index, int length) {
                ByteBuf reply = Unpooled.copiedBuffer(buffer.slice(index, length));
                if (ReplyScanner.isError(buffer, index)) {
                    deliver(place, reply);
                    return;
                }
                link.send(POS.retainedDuplicate(), new ReplySink() {
                    @Override
                    public void onReply(ByteBuf posBuffer, int posIndex, int posLength) {
                        String text = posBuffer.toString(posIndex, posLength, StandardCharsets.UTF_8);
                        String[] position = parsePosition(text);
                        if (position == null) {
                            reply.release();
                            place.onFailure("ERR keymesh: the write was forwarded to the primary, but its position "
                                    + "could not be read (" + text.trim() + ")");
                            return;
                        }
                        role.link().awaitApplied(position[0], Long.parseLong(position[1]))
                                .orTimeout(waitTimeout.toMillis(), TimeUnit.MILLISECONDS)
                                .whenComplete((ok, failed) -> loop.execute(() -> {
                                    if (failed == null) {
                                        deliver(place, reply);
                                    } else {
                                        reply.release();
                                        place.onFailure("ERR keymesh: the write was applied at the primary but has "
                                                + "not reached this replica within forward-wait-timeout ("
                                                + waitTimeout.toMillis() + " ms)");
                                    }
                                }));
                    }

                    @Override
                    public void onFailure(String error) {
                        reply.release();
                        place.onFailure(error);
                    }
                });
            }

            @Override
            public void onFailure(String error) {
                place.onFailure("ERR keymesh: forwarding the write to the primary failed: " + error);
            }
        });
    }

    private static void deliver(ReplySink place, ByteBuf reply) {
        try {
            place.onReply(reply, reply.readerIndex(), reply.readableBytes());
        } finally {
            reply.release();
        }
    }

    /** The session's connection to {@code upstream}, opened (again) when the upstream, db or protocol changed. */
    private BackendLink linkFor(ClientSession s, UpstreamAddress upstream) {
        Upstream u = s.channel().attr(LINK).get();
        String address = upstream.toString();
        if (u != null && u.address.equals(address) && u.db == s.db() && u.protocol == s.protocol() && u.link.isOpen()) {
            return u.link;
        }
        if (u != null) {
            u.link.close("upstream changed");
        }
        BackendConnector connector = new BackendConnector(new BackendEndpoint.Tcp(upstream.host(), upstream.port()),
                username, password, connectTimeoutMillis,
                tls == null ? null : ch -> tls.clientHandler(ch.alloc(), upstream.host(), upstream.port()), s.time());
        BackendLink link = connector.connect(s.channel().eventLoop(), s.db(), s.protocol(), LinkListener.NONE);
        s.channel().attr(LINK).set(new Upstream(address, s.db(), s.protocol(), link));
        s.channel().closeFuture().addListener(f -> link.close("client gone"));
        return link;
    }

    /** Reads a KEYMESH POS reply (an array of the node id and its position); null when it is not one. */
    static String[] parsePosition(String resp) {
        String[] lines = resp.split("\r\n");
        if (lines.length < 4 || !lines[0].equals("*2")) {
            return null;
        }
        String id = lines[2];
        String seq = lines[3].startsWith(":") ? lines[3].substring(1) : (lines.length > 4 ? lines[4] : "");
        try {
            Long.parseLong(seq);
        } catch (NumberFormatException e) {
            return null;
        }
        return new String[] {id, seq};
    }
}
