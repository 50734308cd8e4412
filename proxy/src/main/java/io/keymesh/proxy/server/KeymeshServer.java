package io.keymesh.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The client ports (plain and TLS): a Netty server with one acceptor thread and {@code ioThreads}
 * workers (epoll where available). Each client channel and the backend links it uses live on one worker.
 */
public final class KeymeshServer implements AutoCloseable {
    private final EventLoopGroup boss;
    /**
     * Reads from clients into buffers sized by Netty's adaptive guess, but never below 512 bytes:
     * left alone, the guess steps down to a typical request's size (a 100-byte SET is 144 bytes),
     * and a read that fills the buffer exactly is followed by one more that finds nothing: one
     * wasted syscall in ~9 reads under SET load (strace).
     */
    static final AdaptiveRecvByteBufAllocator CLIENT_READS = new AdaptiveRecvByteBufAllocator(512, 2048, 65536);

    private final EventLoopGroup workers;
    private final Channel plain;          // null without a plain port
    private final Channel tls;            // null without a TLS port

    private KeymeshServer(EventLoopGroup boss, EventLoopGroup workers, Channel plain, Channel tls) {
        this.boss = boss;
        this.workers = workers;
        this.plain = plain;
        this.tls = tls;
    }

    /**
     * Binds the client ports on one set of threads: the plain port unless {@code port} is negative
     * (0 picks a free one, see {@link #port()}), and the TLS port when {@code tlsPort} is above 0
     * (the node's {@link NodeContext#tls()} material).
     */
    public static KeymeshServer bind(NodeContext node, String host, int port, int tlsPort, int ioThreads)
            throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1, new DefaultThreadFactory("keymesh-accept"))
                : new NioEventLoopGroup(1, new DefaultThreadFactory("keymesh-accept"));
        EventLoopGroup workers = epoll ? new EpollEventLoopGroup(ioThreads, new DefaultThreadFactory("keymesh-io"))
                : new NioEventLoopGroup(ioThreads, new DefaultThreadFactory("keymesh-io"));
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Channel plain = null;
        try {
            if (port >= 0) {
                plain = bootstrap(boss, workers, channelClass, new ClientChannelInitializer(node, null))
                        .bind(new InetSocketAddress(host, port)).sync().channel();
            }
            Channel tls = null;
            if (tlsPort > 0) {
                tls = bootstrap(boss, workers, channelClass, new ClientChannelInitializer(node, node.tls()))
                        .bind(new InetSocketAddress(host, tlsPort)).sync().channel();
            }
            return new KeymeshServer(boss, workers, plain, tls);
        } catch (RuntimeException | InterruptedException e) {
            if (plain != null) {
                plain.close();
            }
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static ServerBootstrap bootstrap(EventLoopGroup boss, EventLoopGroup workers,
                                             Class<? extends ServerChannel> channelClass, ClientChannelInitializer init) {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 511)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, CLIENT_READS)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(init);
    }

    /** The bound plain client port, or 0 without one. */
    public int port() {
        return plain == null ? 0 : ((InetSocketAddress) plain.localAddress()).getPort();
    }

    /** The bound TLS client port, or 0 without one. */
    public int tlsPort() {
        return tls == null ? 0 : ((InetSocketAddress) tls.localAddress()).getPort();
    }

    /** Stops accepting, closes every client connection and backend link. */
    @Override
    public void close() {
        for (Channel c : new Channel[] {plain, tls}) {
            if (c != null) {
                c.close().syncUninterruptibly();
            }
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
