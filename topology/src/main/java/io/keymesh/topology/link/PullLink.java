package io.keymesh.topology.link;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.FrameStamps;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespWriter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The pulling side of a link, for a primary's peer and a replica's upstream alike: drives a
 * {@link PullMachine} over a Netty connection to the address {@code target} names (null while there
 * is none) and this node's backend. Everything the link does runs on one event loop of the node's
 * {@link LinkRuntime} (no thread of its own): it performs the machine's actions (connect, the
 * handshake through {@link LinkHandshake}, PULL, timers) on the loop, hands its backend calls (apply
 * with the library's remote apply, snapshot merges, positions, publishes) to {@link LinkBackend},
 * one at a time, and feeds every outcome back to the machine on the loop. While a backend call runs
 * the link hands the machine nothing: frames that arrive meanwhile wait, and a batch is joined with
 * the same origin's batches that arrived behind it ({@link FrameInput}); once {@link #READ_AHEAD_BATCHES}
 * batches' bytes wait, the link stops reading, so the upstream's sender slows down by TCP's flow
 * control. Every stamp it receives is observed in the node's clock first (a peer too far ahead is refused).
 */
public final class PullLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PullLink.class);
    /** Bytes received but not yet handed to the machine above which reading pauses, in batches' bytes. */
    static final int READ_AHEAD_BATCHES = FrameInput.JOIN_BATCHES_MAX;

    /** Who this node is, as told to the upstream. */
    public record Self(String nodeId, String role, String advertise, String clusterSecret, int databases) {
    }

    /** What the next value from the upstream answers. */
    private enum Phase { NONE, HELLO, AUTH, PULL, FRAMES }

    /** An outcome handed back to the loop; it may fail the link. */
    private interface Then<T> {
        void accept(T result) throws Exception;
    }

    private final String name;
    private final Supplier<String> target;
    private volatile Self self;
    private final String pullRole;
    private final HybridClock clock;
    private final TimeSource time;
    private final LinkSettings settings;
    private final PullObserver status;
    private final PullMachine machine;
    private final EventLoop loop;
    private final LinkBackend backend;
    private volatile boolean closed;
    private volatile Consumer<LinkFrame.Publish> onPublish = p -> { };
    private volatile Consumer<String> onSecretRefusal = why -> { };
    private volatile Runnable onApplied = () -> { };
    // the last bytes the connection received: when, and from which address (null: none yet on it)
    private volatile long lastReadNanos;
    private volatile String readFrom;
    // the rest is touched on the loop only
    private final ActionQueue todo;
    private final LoopTimer timer;
    private final Deque<LinkFrameDecoder.Value> inbound = new ArrayDeque<>();
    private long inboundBytes;
    private long consumedBytes;
    private Channel channel;
    private boolean eof;
    private Phase phase = Phase.NONE;
    private LinkHandshake handshake;
    private FrameInput frames;
    private long epoch;             // one per connection: outcomes of an earlier one are dropped
    private int calls;              // backend calls of this connection not yet done
    private String connectedTo = "";
    private Map<String, Long> pulledFrom = Map.of();

    PullLink(String name, Supplier<String> target, Self self, String pullRole, HybridClock clock, TimeSource time,
             BackendAccess backend, LinkSettings settings, PullObserver status, LinkRuntime runtime) {
        this.name = name;
        this.target = target;
        this.self = self;
        this.pullRole = pullRole;
        this.clock = clock;
        this.time = time;
        this.settings = settings;
        this.status = status;
        this.machine = new PullMachine(self.nodeId(), pullRole, settings, self.databases());
        this.loop = runtime.nextLoop();
        this.backend = new LinkBackend(runtime.backend(), backend, 2 * self.databases(), this::busyWait);
        this.todo = new ActionQueue(this::perform, this::failed, () -> !closed);
        this.timer = new LoopTimer(loop, time, this::fire);
    }

    /** A primary's link pulling from the peer at {@code address} ("host:port"), shown by {@code status}. */
    public static PullLink toPeer(String address, Self self, HybridClock clock, TimeSource time, BackendAccess backend,
                                  LinkSettings settings, PullStatus status, LinkRuntime runtime) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("peer address must be host:port, got " + address);
        }
        Integer.parseInt(address.substring(colon + 1));
        return new PullLink("link from " + address, () -> address, self, "peer", clock, time, backend, settings,
                PullObserver.of(status), runtime);
    }

    /** A replica's link pulling from whichever upstream {@code current} names, shown by {@code status}. */
    public static PullLink toUpstream(Supplier<String> current, Self self, HybridClock clock, TimeSource time,
                                      BackendAccess backend, LinkSettings settings, ReplicaStatus status,
                                      LinkRuntime runtime) {
        return new PullLink("replica link", current, self, "replica", clock, time, backend, settings,
                PullObserver.of(status), runtime);
    }

    /** Called with every publish the upstream relays, after its delivery to local subscribers (set before start). */
    public void onPublish(Consumer<LinkFrame.Publish> listener) {
        this.onPublish = listener;
    }

    /** Called with the reason each time this link refuses an upstream that cannot prove the cluster secret (set before start). */
    public void onSecretRefusal(Consumer<String> listener) {
        this.onSecretRefusal = listener;
    }

    /** Called after every apply (set before start). */
    public void onApplied(Runnable listener) {
        this.onApplied = listener;
    }

    /** Sets the address told to upstreams ("host:port"), once the client port is bound. */
    public void advertise(String address) {
        Self s = self;
        self = new Self(s.nodeId(), s.role(), address, s.clusterSecret(), s.databases());
    }

    public void start() {
        onLoop(() -> act(machine.start(time.monotonicNanos())));
    }

    /** Drops the connection so the next one goes to whatever {@code target} names now. */
    public void reconnect() {
        onLoop(() -> {
            todo.clear();
            act(machine.onUpstreamChanged(time.monotonicNanos()));
        });
    }

    /** Runs {@code step} on the link's loop, then hands the machine whatever it can take now. */
    private void onLoop(Runnable step) {
        try {
            loop.execute(() -> {
                if (!closed) {
                    step.run();
                    pump();
                }
            });
        } catch (RejectedExecutionException e) {
            // the node is stopping
        }
    }

    /** Performs {@code actions} in order (and those their outcomes bring, when they come at once). */
    private void act(List<LinkAction> actions) {
        todo.run(actions);
    }

    /**
     * Hands the machine what has arrived, as long as no backend call runs: answers of the handshake
     * and PULL, then frames. At the end of the stream (the upstream closed), fails the link once
     * everything that arrived before it was handled.
     */
    private void pump() {
        try {
            while (channel != null && calls == 0 && !closed) {
                if (phase == Phase.FRAMES && (!inbound.isEmpty() || frames.holding())) {
                    nextFrame();
                } else if ((phase == Phase.HELLO || phase == Phase.AUTH || phase == Phase.PULL) && !inbound.isEmpty()) {
                    answer(take());
                } else {
                    break;
                }
            }
            if (channel != null && eof && calls == 0 && !closed) {
                throw new EOFException("connection closed by the other side");
            }
        } catch (Exception e) {
            failed(e);
        }
        if (channel != null) {
            boolean read = inboundBytes < READ_AHEAD_BATCHES * (long) settings.batchBytesMax();
            if (channel.config().isAutoRead() != read) {
                channel.config().setAutoRead(read);
            }
        }
    }

    private Object take() {
        LinkFrameDecoder.Value v = inbound.poll();
        inboundBytes -= v.bytes();
        consumedBytes += v.bytes();
        return v.value();
    }

    private void nextFrame() throws IOException, ClockSkewException {
        long before = consumedBytes;
        LinkFrame frame = frames.next();
        status.heard(time.wallMillis(), consumedBytes - before);
        observe(frame);
        act(machine.onFrame(frame, time.monotonicNanos()));
    }

    /** An answer of the handshake or of PULL. */
    private void answer(Object value) throws Exception {
        if (phase == Phase.HELLO) {
            List<byte[]> auth = handshake.onAnswer(value);
            if (auth == null) {
                handshakeDone();
            } else {
                phase = Phase.AUTH;
                write(auth);
            }
        } else if (phase == Phase.AUTH) {
            handshake.onAuthAnswer(value);
            handshakeDone();
        } else {
            pulled(value);
        }
    }

    private void perform(LinkAction action) throws Exception {
        long now = time.monotonicNanos();
        String n = Integer.toString(self.databases());
        if (action instanceof LinkAction.Timer t) {
            timer.at(t.atNanos());
        } else if (action instanceof LinkAction.Connect c) {
            connect();
        } else if (action instanceof LinkAction.Handshake h) {
            startHandshake();
        } else if (action instanceof LinkAction.Pull p) {
            pull(p);
        } else if (action instanceof LinkAction.Send s) {
            write(Frames.toArgs(s.frame()));
        } else if (action instanceof LinkAction.Close c) {
            disconnect();
            status.down(c.reason());
            log.info("{} closed: {}", name, c.reason());
        } else if (action instanceof LinkAction.Apply a) {
            long lastMillis = observeAll(a.batch().entries());
            status.waiting().applying();
            call(conn -> {
                long started = time.monotonicNanos();
                long applied = BatchApply.apply(conn, n, a.batch(), time);
                return new long[] {applied, time.monotonicNanos() - started};
            }, r -> {
                frames.applied(r[1]);
                status.waiting().applied(a.batch().entries().size());
                status.applied(a.batch().origin(), r[0], a.batch().entries().size(), lastMillis);
                onApplied.run();
                act(machine.onApplied(a.batch().origin(), r[0], time.monotonicNanos()));
            });
        } else if (action instanceof LinkAction.ApplySnapshot s) {
            call(conn -> {
                if (s.frame() instanceof LinkFrame.SnapshotFlush flush) {
                    SnapshotApply.flush(conn, n, flush, time);
                } else if (s.frame() instanceof LinkFrame.SnapshotLibrary library) {
                    SnapshotApply.library(conn, n, library);
                } else if (s.frame() instanceof LinkFrame.SnapshotKey key) {
                    SnapshotApply.key(conn, n, key);
                }
                return s.frame();
            }, frame -> {
                if (frame instanceof LinkFrame.SnapshotKey key) {
                    status.snapshotKey(key);
                    if (status.snapshot().logDue(now)) {
                        log.info("{} ({}): snapshot {}", name, machine.upstreamId(), status.snapshot().describe(now));
                    }
                }
                act(machine.onSnapshotApplied(time.monotonicNanos()));
            });
        } else if (action instanceof LinkAction.RaisePosition r) {
            call(conn -> store(conn).raisePosition(r.origin(), r.seq()), applied -> {
                if (status.snapshot().running()) {
                    log.info("{} ({}): snapshot merged ({}), position of {} {}", name, machine.upstreamId(),
                            status.snapshot().describe(now), r.origin(), applied);
                }
                status.snapshotEnded(r.origin(), applied, now);
                onApplied.run();
                act(machine.onApplied(r.origin(), applied, time.monotonicNanos()));
            });
        } else if (action instanceof LinkAction.Deliver d) {
            LinkFrame.Publish pub = d.publish();
            call(conn -> conn.ok(List.of(pub.sharded() ? "SPUBLISH" : "PUBLISH", pub.channel(), pub.message())), ok -> {
                status.published();
                onPublish.accept(pub);
            });
        } else if (action instanceof LinkAction.ReadPositions r) {
            call(conn -> store(conn).positions(), positions -> {
                status.positions(positions);
                onApplied.run();
                act(machine.onPositions(positions, time.monotonicNanos()));
            });
        } else {
            throw new IllegalStateException("not a puller's action: " + action);
        }
    }

    /**
     * Hands {@code call} to the link's backend calls; {@code then} gets its result on the loop, unless
     * the connection it was made for has ended since. A failed call fails the link.
     */
    private <T> void call(LinkBackend.Call<T> call, Then<T> then) {
        long made = epoch;
        calls++;
        backend.submit(call, (result, error) -> {
            try {
                loop.execute(() -> {
                    if (made != epoch || closed) {
                        return;
                    }
                    calls--;
                    try {
                        if (error != null) {
                            throw error;
                        }
                        then.accept(result);
                    } catch (Exception e) {
                        failed(e);
                    }
                    pump();
                });
            } catch (RejectedExecutionException e) {
                // the node is stopping
            }
        });
    }

    private BusyWait busyWait() {
        return new BusyWait(name).reportTo(status.waiting()::busy).whileWaiting(() -> !closed).measuredBy(time);
    }

    private void connect() throws IOException {
        disconnect();
        String address = target.get();
        if (address == null) {
            throw new IOException("no upstream selected");
        }
        connectedTo = address;
        readFrom = null;
        status.connecting(address);
        call(conn -> null, opened -> { });          // the backend connection first: a backend down fails the link here
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        ChannelFuture connecting = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, settings.connectTimeoutMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("reads", new ReadMark(address));
                        SslHandler tls = settings.sockets().sslHandler(host, port, settings.connectTimeoutMillis());
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls);
                        }
                        ch.pipeline().addLast("frames", new LinkFrameDecoder());
                        ch.pipeline().addLast("link", new InboundHandler());
                    }
                }).connect(host, port);
        Channel ch = connecting.channel();
        channel = ch;
        connecting.addListener(done -> {
            if (channel != ch) {
                return;
            }
            if (!done.isSuccess()) {
                failed(new IOException(String.valueOf(done.cause().getMessage()), done.cause()));
                pump();
                return;
            }
            SslHandler tls = ch.pipeline().get(SslHandler.class);
            if (tls == null) {
                connected();
                return;
            }
            tls.handshakeFuture().addListener(shaken -> {
                if (channel != ch) {
                    return;
                }
                if (shaken.isSuccess()) {
                    connected();
                } else {
                    settings.sockets().refused(host, port, shaken.cause());
                    failed(new SSLException("TLS handshake with " + host + ":" + port + " failed: "
                            + shaken.cause().getMessage(), shaken.cause()));
                    pump();
                }
            });
        });
    }

    private void connected() {
        act(machine.onConnected(time.monotonicNanos()));
        pump();
    }

    private void startHandshake() {
        status.handshaking();
        Self me = self;
        String stamp = Stamp.of(clock.now(), me.nodeId());
        String who = (pullRole.equals("replica") ? "upstream " : "peer ") + connectedTo;
        handshake = new LinkHandshake(me, pullRole.equals("replica") ? "replica" : me.role(), stamp, who);
        phase = Phase.HELLO;
        write(handshake.hello());
    }

    /**
     * The handshake's answers are in ({@link LinkHandshake}: HELLO, both sides' proofs of the cluster
     * secret): checks the reply (not this node's own id, same database count), observes the upstream's
     * stamp, then reads this node's positions for the machine.
     */
    private void handshakeDone() throws ClockSkewException, PeerRefusedException {
        phase = Phase.NONE;
        Hello.Reply reply = handshake.reply();
        Self me = self;
        if (reply.nodeId().equals(me.nodeId())) {
            throw new PeerRefusedException("peer " + connectedTo + " has this node's own id " + me.nodeId()
                    + " (is the node listed as its own peer?)");
        }
        if (reply.databases() != me.databases()) {
            throw new PeerRefusedException("upstream has " + reply.databases() + " databases, this node "
                    + me.databases() + "; keymesh.storage.redis.databases must match");
        }
        clock.observe(Stamp.hlc(reply.stamp()));
        status.upstream(reply.nodeId());
        String upstream = reply.nodeId();
        call(conn -> store(conn).positions(), positions -> act(machine.onHandshake(upstream, positions,
                time.monotonicNanos())));
    }

    /** Sends PULL; its answer is an error (refused) or the Sync frame ({@link #pulled}). */
    private void pull(LinkAction.Pull p) {
        List<byte[]> args = new ArrayList<>();
        args.add(RespWriter.bytes("KEYMESH"));
        args.add(RespWriter.bytes("PULL"));
        args.add(RespWriter.bytes(p.role()));
        p.positions().forEach((origin, seq) -> {
            args.add(RespWriter.bytes(origin));
            args.add(RespWriter.bytes(seq));
        });
        status.positions(p.positions());
        phase = Phase.PULL;
        pulledFrom = p.positions();
        write(args);
    }

    private void pulled(Object first) throws PeerRefusedException {
        if (first instanceof RespError e) {
            throw new PeerRefusedException(e.message());
        }
        LinkFrame frame = Frames.decode(first);
        if (frame instanceof LinkFrame.Sync sync) {
            boolean snapshot = sync.mode().equals(LinkFrame.Sync.SNAPSHOT);
            status.synced(snapshot, sync.keys(), time.monotonicNanos());
            log.info("{} ({}) up: {} resync from {}", name, machine.upstreamId(), sync.mode(), pulledFrom);
        }
        status.heard(time.wallMillis(), 0);
        phase = Phase.FRAMES;
        frames = new FrameInput(new FrameInput.Source() {
            @Override
            public Object read() {
                return take();
            }

            @Override
            public Object poll() {
                return inbound.isEmpty() ? RespParser.INCOMPLETE : take();
            }
        }, settings.batchEntriesMax(), settings.batchBytesMax(),
                FrameInput.JOIN_BATCHES_MAX * (long) settings.batchBytesMax());
        act(machine.onFrame(frame, time.monotonicNanos()));
    }

    private void write(List<byte[]> args) {
        if (channel == null) {
            return;
        }
        ByteBuf buf = channel.alloc().buffer(RespWriter.encodedLength(args));
        RespWriter.write(buf, args);
        channel.writeAndFlush(buf, channel.voidPromise());
    }

    /**
     * A timer fired. While a backend call holds the link, the upstream is not listened to, so its
     * silence does not count: the machine is asked again a link timeout later.
     */
    private void fire() {
        if (closed) {
            return;
        }
        if (channel != null && calls > 0) {
            timer.at(time.monotonicNanos() + settings.linkTimeoutMillis() * 1_000_000L);
            return;
        }
        act(machine.onTimer(time.monotonicNanos()));
        pump();
    }

    /**
     * Whether the connection to {@code address} received bytes at or after {@code sinceNanos}
     * (monotonic), whole frames or not: any thread.
     */
    public boolean readSince(String address, long sinceNanos) {
        String from = readFrom;
        long at = lastReadNanos;
        return from != null && from.equals(address) && at - sinceNanos >= 0;
    }

    /** Notes when the connection to {@code address} receives bytes (before TLS and framing). */
    private final class ReadMark extends ChannelInboundHandlerAdapter {
        private final String address;

        ReadMark(String address) {
            this.address = address;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ctx.channel() == channel) {
                lastReadNanos = time.monotonicNanos();
                readFrom = address;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The connection's inbound end: values go to the link; its end or error fails the link. */
    private final class InboundHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ctx.channel() != channel) {
                return;
            }
            LinkFrameDecoder.Value v = (LinkFrameDecoder.Value) msg;
            inbound.add(v);
            inboundBytes += v.bytes();
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == channel) {
                eof = true;
                pump();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() == channel) {
                Throwable why = cause.getCause() != null && cause instanceof io.netty.handler.codec.DecoderException
                        ? cause.getCause() : cause;
                failed(why instanceof Exception e ? e : new IOException(why));
                pump();
            }
            ctx.close();
        }
    }

    private LogStore store(BackendClient conn) {
        return new LogStore(conn, self.databases());
    }

    /** Observes the stamps a frame carries outside a batch ({@link FrameStamps}): heartbeats and snapshot frames. */
    private void observe(LinkFrame frame) throws ClockSkewException {
        for (String stamp : FrameStamps.of(frame)) {
            clock.observe(Stamp.hlc(stamp));
        }
        if (frame instanceof LinkFrame.Heartbeat hb) {
            status.head(hb.headSeq());
        }
    }

    /**
     * Observes every stamp field of a batch ({@link FrameStamps#batch}; the machine refused a batch
     * with a malformed one); returns the wall millis of the newest stamp of the last entry that has one.
     */
    private long observeAll(List<LogEntry> entries) throws ClockSkewException {
        for (String stamp : FrameStamps.batch(entries)) {
            clock.observe(Stamp.hlc(stamp));
        }
        for (int i = entries.size() - 1; i >= 0; i--) {
            String stamp = entries.get(i).stamp();
            if (stamp != null) {
                return Hlc.millis(Stamp.hlc(stamp));
            }
        }
        return 0;
    }

    /** A step failed: a refusal (clock, secret, the upstream's error) or the connection or backend failing. */
    private void failed(Exception e) {
        if (e instanceof ClockSkewException skew) {
            String why = "peer clock ahead by " + skew.aheadMillis() + " ms (max-clock-offset "
                    + clock.clockOffsetMillisMax() + " ms)";
            fail(why, true, true);
        } else if (e instanceof SecretRefusedException refused) {
            onSecretRefusal.accept(refused.getMessage());
            fail(refused.getMessage(), true, false);
        } else if (e instanceof PeerRefusedException refused) {
            fail(refused.getMessage(), true, refused.getMessage().contains("clock ahead"));
        } else if (e instanceof FrameRefusedException refused) {
            fail(refused.getMessage(), true, false);
        } else {
            fail(e.getMessage() == null ? e.toString() : e.getMessage(), false, false);
        }
    }

    private void fail(String reason, boolean refused, boolean clockAhead) {
        disconnect();
        if (closed) {
            return;
        }
        if (refused) {
            status.refused(reason, clockAhead);
            log.warn("{} refused: {}", name, reason);
        } else {
            status.down(reason);
            log.debug("{}: {}", name, reason);
        }
        todo.clear();
        act(machine.onClosed(reason, time.monotonicNanos()));
    }

    /** Ends the connection (if any) and its backend calls; their outcomes still to come are dropped. */
    private void disconnect() {
        epoch++;
        calls = 0;
        eof = false;
        if (channel != null) {
            channel.close();
            channel = null;
        }
        phase = Phase.NONE;
        handshake = null;
        frames = null;
        inbound.clear();
        inboundBytes = 0;
        backend.reset();
        status.snapshot().end();
    }

    /** The machine's view, for tests and INFO: batches skipped as already applied. */
    public long duplicates() {
        return machine.duplicates();
    }

    @Override
    public void close() {
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    todo.clear();
                    timer.cancel();
                    disconnect();
                    status.closed();
                } finally {
                    done.complete(null);
                }
            });
            done.get(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
            log.debug("{}: closing: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
