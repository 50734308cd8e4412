package io.keymesh.storage.conn;

import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.time.TimeSource;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.InetSocketAddress;
import java.util.function.Function;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens {@link BackendLink}s to the backend Redis on a caller-chosen event loop, so a link and the
 * client sessions using it share one thread. Each link first sends the handshake it is given
 * (AUTH, SELECT, HELLO); a handshake error closes the link with that error.
 */
public final class BackendConnector {
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024);

    private final BackendEndpoint endpoint;
    private final String username;
    private final String password;
    private final int connectTimeoutMillis;
    private final Function<Channel, ChannelHandler> transport;
    private final TimeSource time;

    public BackendConnector(BackendEndpoint endpoint, String username, String password, int connectTimeoutMillis) {
        this(endpoint, username, password, connectTimeoutMillis, null);
    }

    /**
     * The same, with {@code transport} (may be null) giving each new channel a first handler, such as
     * an SslHandler for a TLS endpoint.
     */
    public BackendConnector(BackendEndpoint endpoint, String username, String password, int connectTimeoutMillis,
                            Function<Channel, ChannelHandler> transport) {
        this(endpoint, username, password, connectTimeoutMillis, transport, TimeSource.system());
    }

    /** The same, with the time source its links measure how long a reply has been awaited by. */
    public BackendConnector(BackendEndpoint endpoint, String username, String password, int connectTimeoutMillis,
                            Function<Channel, ChannelHandler> transport, TimeSource time) {
        this.time = time;
        this.transport = transport;
        this.endpoint = endpoint;
        this.username = username == null || username.isEmpty() ? null : username;
        this.password = password == null || password.isEmpty() ? null : password;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    public BackendEndpoint endpoint() {
        return endpoint;
    }

    /** The time source of this connector's links. */
    public TimeSource time() {
        return time;
    }

    /**
     * Connects on {@code loop}. The link is usable at once: requests sent before the connection is
     * up are held and flushed when it is. {@code db} and {@code protocol} (2 or 3) select the
     * connection state every request on this link will see.
     */
    public BackendLink connect(EventLoop loop, int db, int protocol, LinkListener listener) {
        BackendLink.ReplyHandler handler = new BackendLink.ReplyHandler();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (transport != null) {
                            ch.pipeline().addLast("transport", transport.apply(ch));
                        }
                        ch.pipeline().addLast("replies", handler);
                    }
                });
        SocketAddress address;
        if (endpoint instanceof BackendEndpoint.UnixSocket unix) {
            if (!(loop instanceof EpollEventLoop)) {
                throw new IllegalStateException("unix socket backends need the native epoll transport");
            }
            bootstrap.channel(EpollDomainSocketChannel.class);
            address = new DomainSocketAddress(unix.path().toString());
        } else {
            BackendEndpoint.Tcp tcp = (BackendEndpoint.Tcp) endpoint;
            bootstrap.channel(loop instanceof EpollEventLoop ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true);
            address = new InetSocketAddress(tcp.host(), tcp.port());
        }
        ChannelFuture future = bootstrap.register();
        Channel channel = future.channel();
        BackendLink link = new BackendLink(channel, listener, time);
        handler.link(link);
        for (ByteBuf command : handshake(db, protocol)) {
            link.send(command, new HandshakeSink(link));
        }
        future.addListener(registered -> {
            if (!registered.isSuccess()) {
                link.onClosed("ERR keymesh: cannot open backend connection: " + registered.cause());
                return;
            }
            channel.connect(address).addListener(connected -> {
                if (!connected.isSuccess()) {
                    link.onClosed("ERR keymesh: backend " + endpoint + " unreachable: " + connected.cause().getMessage());
                    channel.close();
                }
            });
        });
        return link;
    }

    private List<ByteBuf> handshake(int db, int protocol) {
        List<ByteBuf> commands = new ArrayList<>(3);
        if (protocol == 3) {
            if (password != null) {
                commands.add(RespCommand.encode("HELLO", "3", "AUTH", username == null ? "default" : username, password));
            } else {
                commands.add(RespCommand.encode("HELLO", "3"));
            }
        } else if (password != null) {
            commands.add(username == null ? RespCommand.encode("AUTH", password) : RespCommand.encode("AUTH", username, password));
        }
        if (db != 0) {
            commands.add(RespCommand.encode("SELECT", Integer.toString(db)));
        }
        return commands;
    }

    /** Swallows a handshake reply; an error reply closes the link with that error. */
    private static final class HandshakeSink implements ReplySink {
        private final BackendLink link;

        HandshakeSink(BackendLink link) {
            this.link = link;
        }

        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            if (ReplyScanner.isError(buffer, index)) {
                String error = buffer.toString(index + 1, Math.max(0, length - 3), StandardCharsets.UTF_8);
                // SELECT is refused while a script runs: the requests waiting get Redis' own BUSY, as a direct client would
                link.close(error.startsWith("BUSY ") ? error : "ERR keymesh: backend refused connection setup: " + error);
            }
        }

        @Override
        public void onFailure(String error) {
        }
    }
}
