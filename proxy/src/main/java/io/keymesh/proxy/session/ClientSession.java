package io.keymesh.proxy.session;

import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.keymesh.storage.time.TimeSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * One client connection's state (auth, database, protocol, name, MULTI/subscribe mode, its own
 * backend link when it needs one) and the order in which its replies go out.
 *
 * <h2>Reply order</h2>
 * Every request takes a {@link PendingReply} place in {@link #replies} when it is read. Places are
 * filled by the backend (on whichever link the request went), by keymesh (local commands, refusals),
 * or by a failure, in any order; {@link #drain()} writes filled places from the head, so the client
 * sees replies in request order even when some are answered locally and others by Redis.
 *
 * <h2>Modes</h2>
 * SHARED: stateless commands go over the event loop's shared link for (db, protocol).
 * PINNED: after MULTI, WATCH, a blocking command or CLIENT TRACKING the session gets a link of its
 * own and keeps it. PIPE: a RESP2 session that subscribed; every backend frame goes straight to the
 * client in arrival order (subscribe confirmations and messages have no one-to-one request), so the
 * session enters PIPE only when no reply is pending. A RESP3 session that subscribes stays PINNED:
 * its pushes are told apart by type. After every subscribe-family command the session's next
 * requests wait until a marker PING sent behind it is answered ({@link SubscribeBarrier}), which
 * also says when a RESP2 session leaves subscribe mode.
 *
 * <p>All methods run on the channel's event loop.
 */
public final class ClientSession implements LinkListener {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** How the session reaches Redis. */
    public enum Mode { SHARED, PINNED, PIPE }

    private final long id;
    private final Channel channel;
    private final SessionRegistry registry;
    private final KeymeshConfig.OutputLimit normalLimit;
    private final KeymeshConfig.OutputLimit pubsubLimit;
    private final KeymeshConfig.OutputLimit monitorLimit;
    private final TimeSource time;
    private final long createdMillis;
    private final ArrayDeque<PendingReply> replies = new ArrayDeque<>();
    private final io.keymesh.storage.conn.CoalescingWriter out;

    private boolean authenticated;
    private final io.keymesh.proxy.acl.AclUsers.Ref defaultUser;
    private volatile io.keymesh.proxy.acl.AclUsers.Ref user;     // the user commands are checked against
    private volatile String userName = "default";
    private volatile String name = "";
    private volatile int db;
    private volatile int protocol = 2;
    private volatile Mode mode = Mode.SHARED;
    private volatile boolean inMulti;
    private boolean multiWrites;              // a write was queued in this MULTI
    private long txn;                         // replicated writes queued in this MULTI carry this id (0: none)
    private int dbAfterExec = -1;             // SELECT queued inside MULTI: the db once EXEC has run
    private volatile boolean subscribed;
    private volatile io.keymesh.proxy.command.CommandSpec lastCommand;
    private volatile long lastActiveMillis;
    private boolean repliesOff;               // CLIENT REPLY OFF
    private boolean skipNext;                 // CLIENT REPLY SKIP
    private BackendLink link;                 // the dedicated link in PINNED and PIPE mode
    private BackendLink lastSent;             // the link the session's last request went out on
    private boolean closing;
    private ByteBuf forLink;                  // requests behind an accepted KEYMESH PULL, for the link sender
    private boolean gone;                     // the client channel is closed and its session released
    private long softLimitSinceMillis;
    long commands;

    ClientSession(Channel channel, SessionRegistry registry, io.keymesh.proxy.acl.AclUsers users,
                  KeymeshConfig.OutputLimit normalLimit, KeymeshConfig.OutputLimit pubsubLimit,
                  KeymeshConfig.OutputLimit monitorLimit) {
        this.id = registry.nextId();
        this.defaultUser = users.defaultUser();
        this.user = defaultUser;
        boolean authenticated = users.defaultLogsInAlone();
        this.channel = channel;
        this.registry = registry;
        this.time = registry.time();
        this.createdMillis = time.wallMillis();
        this.lastActiveMillis = createdMillis;
        this.authenticated = authenticated;
        this.normalLimit = normalLimit;
        this.pubsubLimit = pubsubLimit;
        this.monitorLimit = monitorLimit;
        this.out = new io.keymesh.storage.conn.CoalescingWriter(channel, false);
    }

    /** Creates the session of a new client connection and registers it. */
    public static ClientSession open(Channel channel, SessionRegistry registry, KeymeshConfig config,
                                     io.keymesh.proxy.acl.AclUsers users) {
        ClientSession session = new ClientSession(channel, registry, users,
                config.normalOutputLimit(), config.pubsubOutputLimit(), config.replicaOutputLimit());
        registry.add(session);
        return session;
    }

    // ---- reply order ----------------------------------------------------------------------

    /** Takes the next place in reply order; {@code transform} rewrites a backend reply (null: as is). */
    public PendingReply expectReply(Function<ByteBuf, ByteBuf> transform) {
        PendingReply place = new PendingReply(this, transform);
        if (timedCommand != null) {                 // the first place a dispatched request takes ends its latency
            place.timed = timedCommand;
            place.dispatchedNanos = dispatchedNanos;
            timedCommand = null;
        }
        if (repliesOff || skipNext) {
            place.suppressed = true;
            skipNext = false;
        }
        replies.add(place);
        return place;
    }

    /** Takes a place and fills it at once (local replies and refusals). */
    public void reply(ByteBuf value) {
        PendingReply place = expectReply(null);
        place.fill(value);
        drain();
    }

    /**
     * Writes a backend reply straight from the link's buffer when its place is next in order, which
     * is the common case; returns false when the reply must wait for earlier ones.
     */
    boolean writeIfNext(PendingReply place, ByteBuf buffer, int index, int length) {
        if (replies.peek() != place) {
            return false;
        }
        replies.poll();
        if (!place.suppressed && !(closing && !channel.isActive())) {   // as drain(): replies before QUIT still go out
            out.write(buffer, index, length);
            bytesOut += length;
            afterWrite();
        }
        recordLatency(place);
        drain();
        return true;
    }

    /** Writes every filled place from the head of the reply order. */
    void drain() {
        PendingReply head;
        boolean wrote = false;
        while ((head = replies.peek()) != null && head.done) {
            replies.poll();
            if (head.suppressed || closing && !channel.isActive()) {
                head.reply.release();
            } else {
                bytesOut += head.reply.readableBytes();
                out.write(head.reply);
                wrote = true;
            }
            recordLatency(head);
            if (head.pushesAfter != null) {
                for (ByteBuf push : head.pushesAfter) {
                    if (closing && !channel.isActive()) {
                        push.release();
                    } else {
                        bytesOut += push.readableBytes();
                        out.write(push);
                        wrote = true;
                    }
                }
            }
        }
        if (wrote) {
            afterWrite();
        }
        flushTraffic();
        while (replies.isEmpty() && !onDrained.isEmpty()) {
            onDrained.poll().run();
        }
    }

    private final ArrayDeque<Runnable> onDrained = new ArrayDeque<>(2);

    // ---- latency and traffic ----------------------------------------------------------------

    private io.keymesh.proxy.command.CommandSpec timedCommand;   // dispatched, its reply place not yet taken
    private long dispatchedNanos;
    private io.keymesh.proxy.metrics.LoopLatency latency;        // this event loop's recorders (set on first use)
    private long bytesOut;                                       // written since the last flushTraffic()

    /** Starts timing a dispatched request: its first reply place ends it (unknown commands are not timed). */
    private void timeDispatch(io.keymesh.proxy.command.CommandSpec command) {
        timedCommand = command;
        dispatchedNanos = command == null ? 0 : time.monotonicNanos();
    }

    private io.keymesh.proxy.metrics.LoopLatency latency() {
        io.keymesh.proxy.metrics.LoopLatency l = latency;
        if (l == null) {
            l = latency = registry.latency().forCurrentLoop();
        }
        return l;
    }

    /** Records a command's latency as its reply place is consumed (written, or dropped by CLIENT REPLY OFF). */
    private void recordLatency(PendingReply place) {
        if (place.timed != null) {
            latency().record(place.timed, time.monotonicNanos() - place.dispatchedNanos);
            place.timed = null;
        }
    }

    /** Records the backend's share of a command's latency as its reply arrives. */
    void recordBackend(PendingReply place) {
        latency().recordBackend(time.monotonicNanos() - place.dispatchedNanos);
    }

    private void flushTraffic() {
        if (bytesOut != 0) {
            registry.bytesOut().add(bytesOut);
            bytesOut = 0;
        }
    }

    /** Runs {@code action} once every pending reply has been written (now, if none is pending). */
    public void whenDrained(Runnable action) {
        if (replies.isEmpty()) {
            action.run();
        } else {
            onDrained.add(action);
        }
    }

    public boolean hasPendingReplies() {
        return !replies.isEmpty();
    }

    private void afterWrite() {
        checkOutputLimit();
        if (!channel.isWritable()) {
            channel.config().setAutoRead(false);
            if (link != null) {
                link.autoRead(false);
            }
        }
    }

    /** Called when the client channel drained below its low-water mark. */
    public void onClientWritable() {
        if (!closing) {
            channel.config().setAutoRead(true);
            if (link != null) {
                link.autoRead(true);
            }
        }
    }

    private void checkOutputLimit() {
        long pending = out.pendingBytes();
        boolean monitor = registry.monitors().contains(this);
        KeymeshConfig.OutputLimit limit = monitor ? monitorLimit : subscribed ? pubsubLimit : normalLimit;
        boolean over = limit.hardBytes() > 0 && pending > limit.hardBytes();
        if (!over && limit.softBytes() > 0 && pending > limit.softBytes()) {
            long now = time.wallMillis();
            if (softLimitSinceMillis == 0) {
                softLimitSinceMillis = now;
            } else if (now - softLimitSinceMillis > limit.softSeconds() * 1000) {
                over = true;
            }
        } else if (!over) {
            softLimitSinceMillis = 0;
        }
        if (over) {
            log.warn("client id={} addr={} closed for overcoming of output buffer limits ({} bytes pending, class {})",
                    id, remoteAddress(), pending, monitor ? "replica (monitor)" : subscribed ? "pubsub" : "normal");
            closeNow();
        }
    }

    // ---- dedicated link ---------------------------------------------------------------------

    /** The session's own backend link, or null in SHARED mode. */
    public BackendLink link() {
        return link;
    }

    /**
     * Notes that the session's next request goes out on {@code next}; when that is another link than
     * its last request's, a run held open on the last one (its plain SETs may be in it) is sent first,
     * so that what the client sent earlier is written to the backend before what it sends now.
     */
    public void sendingOn(BackendLink next) {
        BackendLink last = lastSent;
        if (last != next) {
            if (last != null) {
                last.endRun();
            }
            lastSent = next;
        }
    }

    /** The link the session's last request went out on, or null. */
    public BackendLink lastSent() {
        return lastSent;
    }

    /** Moves the session onto its own link (PINNED). */
    public void pin(BackendLink dedicated) {
        this.link = dedicated;
        this.mode = Mode.PINNED;
    }

    /** Enters PIPE mode; callers ensure no reply is pending. */
    public void enterPipe() {
        this.mode = Mode.PIPE;
    }

    // ---- the end of subscribe-family commands --------------------------------------------------

    private final SubscribeBarrier barrier = new SubscribeBarrier();

    /**
     * The marker PING to send right behind a subscribe-family command (or a RESET in PIPE mode) on
     * the same link: until its reply is back the session's later requests wait
     * ({@link #barrierPending()}), and the reply tells whether the backend connection is still in
     * RESP2 subscribe mode; PIPE mode ends when it is not. So every request that follows an
     * UNSUBSCRIBE is dispatched knowing which mode the connection is in.
     */
    public ByteBuf barrierRequest() {
        return barrier.request();
    }

    /** True while a marker PING is on its way: requests read now must wait ({@link #afterBarrier}). */
    public boolean barrierPending() {
        return barrier.pending();
    }

    /** Runs {@code action} once no marker PING is on its way (now, if none is). */
    public void afterBarrier(Runnable action) {
        barrier.then(action);
    }

    private void leavePipe() {
        mode = Mode.PINNED;
        subscribed = false;
    }

    // ---- client-side caching ------------------------------------------------------------------

    private BackendLink redirectLink;         // CLIENT TRACKING ... REDIRECT: the link Redis redirects to (RESP3)
    private volatile long redirectTarget;     // the keymesh client id invalidations are relayed to
    private boolean trackingSetup;            // requests wait until the redirecting CLIENT TRACKING is sent

    /** The link that receives this session's redirected invalidations, or null. */
    public BackendLink redirectLink() {
        return redirectLink;
    }

    public void redirectLink(BackendLink link) {
        this.redirectLink = link;
    }

    /** The keymesh client id CLIENT TRACKING ... REDIRECT named (0: none). */
    public long redirectTarget() {
        return redirectTarget;
    }

    public void redirectTarget(long id) {
        this.redirectTarget = id;
    }

    private volatile boolean redirectBroken;  // an invalidation found the redirect target gone

    /** True once an invalidation found the redirect target gone (TRACKINGINFO's broken_redirect). */
    public boolean redirectBroken() {
        return redirectBroken;
    }

    public void redirectBroken(boolean value) {
        this.redirectBroken = value;
    }

    /** True while a redirecting CLIENT TRACKING waits for its link: later requests are held. */
    public boolean trackingSetup() {
        return trackingSetup;
    }

    public void trackingSetup(boolean value) {
        this.trackingSetup = value;
    }

    /**
     * Writes a push the client did not ask for (an invalidation). A reply that arrived before it but
     * still waits for an earlier one keeps its lead: the push goes out right after it, so a client
     * never sees an invalidation ahead of a value read before it (and cache that value).
     */
    void push(ByteBuf buffer, int index, int length) {
        PendingReply last = null;
        for (java.util.Iterator<PendingReply> it = replies.descendingIterator(); it.hasNext(); ) {
            PendingReply place = it.next();
            if (place.done) {
                last = place;
                break;
            }
        }
        if (last == null) {
            out.write(buffer, index, length);
            registry.bytesOut().add(length);
            afterWrite();
            return;
        }
        if (last.pushesAfter == null) {
            last.pushesAfter = new java.util.ArrayList<>(2);
        }
        last.pushesAfter.add(buffer.copy(index, length));
    }

    /**
     * Delivers an invalidation another session's tracking redirects here, as Redis does: a push to
     * a RESP3 client, a {@code __redis__:invalidate} message to a RESP2 client in Pub/Sub mode,
     * nothing to a RESP2 client that is not subscribed. Runs on this session's event loop; takes
     * ownership of {@code push}.
     */
    public void deliverInvalidation(ByteBuf push) {
        try {
            if (closing) {
                return;
            }
            if (protocol == 3) {
                push(push, push.readerIndex(), push.readableBytes());
            } else if (subscribed) {
                ByteBuf message = Invalidations.asMessage(channel.alloc(), push);
                try {
                    push(message, message.readerIndex(), message.readableBytes());
                } finally {
                    message.release();
                }
            }
        } finally {
            push.release();
        }
    }

    /** True while this session receives the node's client commands (MONITOR). */
    public boolean monitoring() {
        return registry.monitors().contains(this);
    }

    /** Starts feeding this session the node's client commands (MONITOR). */
    public void monitor() {
        registry.monitors().add(this);
    }

    /** Writes one MONITOR line; runs on this session's event loop. */
    void deliverMonitorLine(byte[] line) {
        if (!closing && registry.monitors().contains(this)) {
            push(io.netty.buffer.Unpooled.wrappedBuffer(line), 0, line.length);
        }
    }

    private volatile long backendClientId;   // the redis-server CLIENT ID of the dedicated link (0: unknown)

    /** The redis-server's CLIENT ID of this session's own link, 0 until known or without one (CLIENT UNBLOCK). */
    public long backendClientId() {
        return backendClientId;
    }

    public void backendClientId(long id) {
        this.backendClientId = id;
    }

    /** Writes a push keymesh built for this session (tracking-redir-broken); takes ownership of it. */
    public void deliverPush(ByteBuf push) {
        try {
            if (!closing) {
                push(push, push.readerIndex(), push.readableBytes());
            }
        } finally {
            push.release();
        }
    }

    @Override
    public void onUnsolicited(ByteBuf buffer, int index, int length) {
        SubscribeBarrier.Match marker = barrier.match(buffer, index, length);
        if (marker != SubscribeBarrier.Match.NONE) {
            if (marker == SubscribeBarrier.Match.NOT_SUBSCRIBED && mode == Mode.PIPE) {
                leavePipe();              // replies are one per request again: keymesh dispatches as usual
            }
            if (!closing) {
                barrier.release();
            }
            return;
        }
        if (closing) {
            return;
        }
        if (mode != Mode.PIPE && Invalidations.isInvalidate(buffer, index, length)) {
            ByteBuf filtered = Invalidations.withoutStateKeys(channel.alloc(), buffer, index, length);
            if (filtered == null) {
                push(buffer, index, length);
            } else if (filtered.isReadable()) {
                push(filtered, filtered.readerIndex(), filtered.readableBytes());
                filtered.release();
            }
            return;
        }
        out.write(buffer, index, length);
        registry.bytesOut().add(length);
        afterWrite();
    }

    @Override
    public void onClosed(BackendLink closed) {
        if (closed == link && !closing) {
            // The connection state (MULTI, WATCH, subscriptions) is gone: like a Redis restart, the client goes too.
            log.info("client id={}: its backend connection closed; closing the client", id);
            closeAfterReplies();
        }
    }

    @Override
    public void onWritable(BackendLink writable) {
    }

    // ---- lifecycle --------------------------------------------------------------------------

    /** Closes once every pending reply has been written (QUIT, protocol errors). */
    public void closeAfterReplies() {
        if (closing) {
            return;
        }
        closing = true;
        channel.config().setAutoRead(false);
        whenDrained(() -> {
            out.flushNow();
            channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        });
    }

    /** Closes immediately (CLIENT KILL, output limits). */
    public void closeNow() {
        closing = true;
        channel.close();
    }

    /** Releases what the session holds; called when the client channel is gone. */
    public void closed() {
        closing = true;
        gone = true;
        if (forLink != null) {
            forLink.release();
            forLink = null;
        }
        registry.remove(this);
        out.discard();
        registry.totalCommands().addAndGet(commands);
        commands = 0;
        PendingReply place;
        while ((place = replies.poll()) != null) {
            if (place.done) {
                place.reply.release();
            } else {
                place.suppressed = true;
            }
            if (place.pushesAfter != null) {
                place.pushesAfter.forEach(ByteBuf::release);
                place.pushesAfter = null;
            }
        }
        if (link != null) {
            link.listener(LinkListener.NONE);
            link.close("ERR keymesh: client gone");
            link = null;
        }
        if (redirectLink != null) {
            redirectLink.listener(LinkListener.NONE);
            redirectLink.close("ERR keymesh: client gone");
            redirectLink = null;
        }
    }

    public boolean isClosing() {
        return closing;
    }

    /**
     * Marks the connection as handed over to a link sender (an accepted KEYMESH PULL): requests
     * behind the PULL are no longer run but kept as bytes ({@link #keepForLink}) for the sender.
     */
    public void handOverToLink() {
        if (forLink == null) {
            forLink = channel.alloc().buffer();
        }
    }

    /** True once an accepted KEYMESH PULL hands this connection over to a link sender. */
    public boolean handingOverToLink() {
        return forLink != null;
    }

    /** Keeps the frame of a request that arrived behind an accepted KEYMESH PULL for the link sender, and releases it. */
    public void keepForLink(io.keymesh.proxy.resp.RespRequest request) {
        try {
            forLink.writeBytes(request.frame());
        } finally {
            request.release();
        }
    }

    /** The bytes kept for the link sender (the caller owns them; empty when none came), once. */
    public ByteBuf takeKeptForLink() {
        ByteBuf kept = forLink == null ? channel.alloc().buffer(0) : forLink;
        forLink = null;
        return kept;
    }

    /** True once the client connection is closed: late replies are dropped. */
    boolean gone() {
        return gone;
    }

    // ---- state ------------------------------------------------------------------------------

    public long id() {
        return id;
    }

    public Channel channel() {
        return channel;
    }

    public boolean authenticated() {
        return authenticated;
    }

    /** Logs the session in as {@code user}. */
    public void authenticated(io.keymesh.proxy.acl.AclUsers.Ref user) {
        this.authenticated = true;
        this.user = user;
        this.userName = user.user() == null ? userName : user.user().name();
    }

    public void deauthenticate() {
        this.authenticated = false;
        this.user = defaultUser;
        this.userName = "default";
    }

    /** The name of the session's user (ACL WHOAMI, CLIENT LIST's user=). */
    public String user() {
        return userName;
    }

    /** The session's user as it is now, or null when it was deleted. */
    public io.keymesh.proxy.acl.AclUser aclUser() {
        return user.user();
    }

    public String name() {
        return name;
    }

    public void name(String name) {
        this.name = name;
    }

    public int db() {
        return db;
    }

    public void db(int db) {
        this.db = db;
    }

    public int protocol() {
        return protocol;
    }

    public void protocol(int protocol) {
        this.protocol = protocol;
    }

    public Mode mode() {
        return mode;
    }

    public boolean inMulti() {
        return inMulti;
    }

    public void inMulti(boolean value) {
        if (value != inMulti) {
            multiWrites = false;
            multiDenyOom = false;
            queuedInMulti = 0;
            queuedWrite = false;
        }
        this.inMulti = value;
    }

    private volatile int queuedInMulti;

    /** Commands queued in the current MULTI (CLIENT LIST's multi=; -1 outside MULTI). */
    public int queuedInMulti() {
        return inMulti ? queuedInMulti : -1;
    }

    private boolean queuedWrite;

    /** Counts a command sent inside MULTI (Redis queues it); {@code write} when it is a write. */
    public void queuedOne(boolean write) {
        queuedInMulti++;
        queuedWrite |= write;
    }

    /** True when a write was sent inside the current MULTI: its EXEC writes (CLIENT PAUSE WRITE holds it). */
    public boolean queuedWrite() {
        return queuedWrite;
    }

    /** True when a write was queued in the current MULTI (its EXEC is a write, as Redis counts it). */
    public boolean multiWrites() {
        return multiWrites;
    }

    public void multiWrites(boolean value) {
        this.multiWrites = value;
    }

    private boolean multiDenyOom;

    /** True when a command Redis refuses over maxmemory was queued in the current MULTI (its EXEC is refused then too). */
    public boolean multiDenyOom() {
        return multiDenyOom;
    }

    public void multiDenyOom(boolean value) {
        this.multiDenyOom = value;
    }

    /** The database a SELECT queued inside MULTI switches to when EXEC runs; -1 for none. */
    /** The id the replicated write path gives the writes of the current transaction. */
    public long txn() {
        return txn;
    }

    public void txn(long id) {
        this.txn = id;
    }

    public int dbAfterExec() {
        return dbAfterExec;
    }

    public void dbAfterExec(int db) {
        this.dbAfterExec = db;
    }

    public boolean subscribed() {
        return subscribed;
    }

    public void subscribed(boolean value) {
        this.subscribed = value;
    }

    /** CLIENT REPLY ON|OFF|SKIP: whether replies are written, and whether the next one is skipped. */
    public void replies(boolean on, boolean skipNextOne) {
        this.repliesOff = !on;
        this.skipNext = skipNextOne;
    }

    /** Records a request for CLIENT LIST (cmd, idle); {@code command} is null for unknown commands. */
    public void touch(io.keymesh.proxy.command.CommandSpec command) {
        timeDispatch(command);
        lastCommand = command;
        lastActiveMillis = time.wallMillis();
        commands++;
    }

    /** The last command's name as CLIENT LIST shows it ("client|list", "NULL" before any). */
    public String lastCommand() {
        io.keymesh.proxy.command.CommandSpec last = lastCommand;
        return last == null ? "NULL" : last.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The node's time source, as this session reads it. */
    public TimeSource time() {
        return time;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public long lastActiveMillis() {
        return lastActiveMillis;
    }

    public String remoteAddress() {
        return address(channel.remoteAddress());
    }

    public String localAddress() {
        return address(channel.localAddress());
    }

    private static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** Pending output bytes, for CLIENT LIST's omem. Read from other threads: approximate. */
    public long pendingOutputBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
}
