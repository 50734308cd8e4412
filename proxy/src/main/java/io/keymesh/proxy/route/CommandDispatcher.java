package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.proxy.command.CommandClass;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.command.Handling;
import io.keymesh.proxy.replica.RegionLocalMatcher;
import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.replica.WriteForwarder;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.proxy.session.ClientSession;
import io.keymesh.proxy.session.KeymeshCommands;
import io.keymesh.proxy.session.LocalCommands;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.topology.failover.WriteQuorum;
import io.keymesh.topology.link.ServeStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Decides, for each request, who answers it and on which connection, from the request's command
 * table row and the session's state:
 * <pre>
 *   unauthenticated and not AUTH/HELLO/QUIT/RESET  -> NOAUTH
 *   the user's ACL rules refuse it                 -> NOPERM ({@link io.keymesh.proxy.acl.AclChecker})
 *   PIPE session (RESP2 subscriber)                -> its own link, reply goes straight through
 *   REFUSE row, vetoed CONFIG SET parameter        -> error reply ({@link ConfigSetVeto})
 *   denyoom command over keymesh.maxmemory         -> -OOM ({@link MemoryGuard})
 *   LOCAL row                                      -> {@link LocalCommands}
 *   SUBSCRIBE row                                  -> own link once earlier replies are out (RESP2: PIPE
 *                                                     mode); later requests wait for its marker PING
 *   SCRIPT KILL, FUNCTION KILL                     -> a new link for the kill alone ({@link ScriptKill})
 *   PIN row, XREAD/XREADGROUP ... BLOCK            -> own link from now on
 *   FORWARD row or unknown command                 -> own link if any, else the loop's shared link
 * </pre>
 * Forwarded requests travel as the client's bytes; unknown commands and arity errors are left to
 * Redis so its own error replies reach the client.
 *
 * <p>With replication on, {@link #replicated} comes first (docs/design/replication.md): a WRITE row
 * travels as the apply library's write call ({@link ApplyCalls#header}, then the client command; one
 * txn id per MULTI), a blocking list pop runs through that call and waits natively without taking anything ({@link BlockingListPop}), a blocking
 * pop that ran natively is recorded afterwards ({@link ApplyCalls#touch}), EVAL/EVALSHA/FCALL
 * run as their _RO variant, and {@link WritePolicy} refusals apply.
 */
public final class CommandDispatcher {
    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);
    /** Redis' reply to data commands on a replica whose master link is down with replica-serve-stale-data no. */
    static final String READONLY = "READONLY You can't write against a read only replica.";
    static final String MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

    private final NodeContext node;
    private final LocalCommands local;
    private final CommandSpec auth;
    private final CommandSpec reset;
    private final ApplyCalls writes;          // null with replication off
    private final SetRun.Origin runOrigin;    // what this node's runs of SETs all start with
    private final int userDatabases;
    private final KeymeshCommands keymesh;
    private final ReplicaRole replica;          // null on a primary
    private final WriteForwarder forwarder;     // null unless write-policy forward
    private final RegionLocalMatcher regionLocal;
    private final WriteQuorum quorum;
    private final ClientTracking tracking;

    public CommandDispatcher(NodeContext node) {
        this.node = node;
        this.local = new LocalCommands(node, this::forward);
        this.auth = node.commands().get("AUTH");
        this.reset = node.commands().get("RESET");
        this.userDatabases = node.config().storage().databases();
        this.writes = node.replicating() ? new ApplyCalls(node.nodeId().value(), userDatabases) : null;
        this.runOrigin = SetRun.Origin.of(userDatabases, node.nodeId().value());
        this.keymesh = new KeymeshCommands(node, this::forward);
        this.replica = node.replica();
        this.forwarder = replica != null && replica.settings().writePolicy() == io.keymesh.topology.failover.WritePolicy.FORWARD
                ? new WriteForwarder(replica, null, node.config().requirepass(),
                        (int) node.config().storage().connectTimeout().toMillis(), node.linkTls())
                : null;
        this.regionLocal = new RegionLocalMatcher(node.config().regionLocalKeys());
        this.quorum = node.config().writeQuorum();
        this.tracking = new ClientTracking(node.sessions());
    }

    public LocalCommands local() {
        return local;
    }

    /** Resolves the row for a request: the subcommand row when there is one, else the command's. */
    public CommandSpec resolve(RespRequest r) {
        CommandSpec spec = node.commands().lookup(r.buffer(), r.argIndex(0), r.argLength(0));
        if (spec != null && r.argc() > 1 && node.commands().hasSubcommands(spec)) {
            CommandSpec sub = node.commands().lookupSubcommand(spec, r.buffer(), r.argIndex(1), r.argLength(1));
            if (sub != null) {
                return sub;
            }
        }
        return spec;
    }

    /** Handles one request; takes ownership of it. */
    public void dispatch(ClientSession s, RespRequest r, CommandSpec spec) {
        s.touch(spec);
        if (spec == null && r.argEquals(0, "KEYMESH") && s.mode() != ClientSession.Mode.PIPE) {
            String denied = local.acl().keymeshRefusal(s);
            if (denied != null) {
                refuse(s, r, denied);
                return;
            }
            keymesh.handle(s, r);                         // HELLO/AUTH/PULL: the link handshake decides who links
            return;
        }
        if (!s.authenticated() && !allowedBeforeAuth(spec)) {
            r.release();
            s.reply(Replies.of(Replies.NOAUTH));
            return;
        }
        String denied = local.acl().refusal(s, spec, r);
        if (denied != null) {
            reject(s, r, denied);                         // inside MULTI the transaction fails too, as in Redis
            return;
        }
        if (s.mode() == ClientSession.Mode.PIPE) {
            if (spec == auth) {
                local.handle(s, spec, r);
            } else {
                if (spec == reset) {
                    local.resetState(s);
                }
                if (spec == reset || spec != null && spec.handling() == Handling.SUBSCRIBE) {
                    sendWithBarrier(s, r);        // may leave subscribe mode: what follows waits to know
                } else {
                    send(s, r, false);            // the connection is subscribed: Redis refuses all but PING and QUIT
                }
            }
            return;
        }
        if (spec == null) {
            send(s, r, true);
            return;
        }
        if (ScriptKill.handles(s, r, spec) && node.backend().up()) {
            ScriptKill.send(s, r, spec, node.connector());    // never queued behind the script it stops
            return;
        }
        if (byMemory(s, r, spec)) {
            return;
        }
        if (quorum.enabled() && replica == null && byQuorum(s, r, spec)) {
            return;
        }
        if ((replica != null || !regionLocal.isEmpty()) && byRole(s, r, spec)) {
            return;
        }
        if (writes != null && replicated(s, r, spec)) {
            return;
        }
        switch (spec.handling()) {
            case REFUSE -> refuse(s, r, spec.refusal());
            case LOCAL -> local.handle(s, spec, r);
            case SUBSCRIBE -> subscribe(s, r);
            case PIN -> {
                pin(s);
                if (ClientTracking.ROWS.contains(spec.name()) && node.backend().up()) {
                    tracking.handle(s, r, spec, pool(s));  // client ids in them are keymesh ids
                    return;
                }
                if (spec.kind() == CommandClass.TRANSACTION && spec.name().equals("MULTI")
                        && spec.arityAccepts(r.argc())) {       // MULTI x is an error: no transaction starts
                    s.inMulti(true);
                }
                send(s, r, true);
            }
            case FORWARD -> {
                if (spec.name().equals("CONFIG|GET")) {
                    sendTransformed(s, r, reply -> AuthConfigReply.rewrite(reply, s.channel().alloc(), s.protocol()));
                    return;
                }
                if (spec.name().equals("CONFIG|SET")) {
                    String refusal = ConfigSetVeto.refusal(r);
                    if (refusal != null) {
                        refuse(s, r, refusal);
                        return;
                    }
                } else if (node.mesh() != null && r.argc() == 3
                        && (spec.name().equals("PUBLISH") || spec.name().equals("SPUBLISH"))) {
                    node.mesh().publish(spec.name().equals("SPUBLISH"), r.argBytes(1), r.argBytes(2));
                } else if (blocksWithOption(spec, r)) {
                    pin(s);
                } else if (spec.name().equals("EXEC")       // EXEC x too: Redis answers EXECABORT and ends the transaction
                        || spec.name().equals("DISCARD") && spec.arityAccepts(r.argc())) {   // DISCARD x: it goes on
                    s.inMulti(false);
                    int db = s.dbAfterExec();
                    if (db >= 0) {
                        s.dbAfterExec(-1);
                        if (spec.name().equals("EXEC") && r.argc() == 1) {
                            r.release();
                            forward(s, RespCommand.encode("EXEC"), reply -> afterExecWithSelect(s, db, reply));
                            return;
                        }
                    }
                }
                send(s, r, true);
            }
        }
    }

    // ---- keymesh.maxmemory ----------------------------------------------------------------------

    /**
     * Redis' maxmemory rules while user data is over keymesh.maxmemory, for what this node applies
     * itself (a primary's clients, a replica's with write-policy local): a command Redis flags denyoom,
     * or EVAL, EVALSHA and FCALL (whose writes cannot be told ahead), gets -OOM; inside MULTI every
     * command but EXEC, DISCARD, QUIT and RESET does (queuing takes memory), dooming the transaction;
     * an EXEC of queued denyoom commands discards them with EXECABORT. Reads, deletes and everything
     * replicated from peers or upstreams go on. True when the request was answered.
     */
    private boolean byMemory(ClientSession s, RespRequest r, CommandSpec spec) {
        if (spec.handling() == Handling.REFUSE || replica != null
                && replica.settings().writePolicy() != io.keymesh.topology.failover.WritePolicy.LOCAL) {
            return false;
        }
        boolean denyOom = (node.backend().deniedOnOom(spec.name()) || WritePolicy.mayWrite(spec))
                && spec.arityAccepts(r.argc());
        if (!node.backend().memory().over()) {
            if (denyOom && s.inMulti()) {
                s.multiDenyOom(true);
            }
            return false;
        }
        if (s.inMulti() && spec.name().equals("EXEC")) {
            if (!s.multiDenyOom()) {
                return false;
            }
            r.release();
            s.inMulti(false);
            s.dbAfterExec(-1);
            ByteBufAllocator alloc = s.channel().alloc();
            forward(s, RespCommand.encode("DISCARD"), reply -> Replies.error(alloc, MemoryGuard.EXECABORT));
            return true;
        }
        boolean queues = s.inMulti() && switch (spec.name()) {
            case "EXEC", "DISCARD", "QUIT", "RESET" -> false;
            default -> true;
        };
        if (denyOom || queues) {
            reject(s, r, MemoryGuard.OOM);
            return true;
        }
        return false;
    }

    // ---- replica role and region-local keys ----------------------------------------------------

    /**
     * What the node's role changes about a request: on a replica whose link is down with
     * serve-stale-data off, data commands get Redis' MASTERDOWN; writes to region-local keys run natively
     * (never logged); other writes on a replica follow its write policy. False when the request takes
     * the usual way.
     */
    private boolean byRole(ClientSession s, RespRequest r, CommandSpec spec) {
        if (replica != null && !replica.settings().serveStaleData() && !replica.linkUp()
                && (spec.kind() == CommandClass.READ || spec.kind() == CommandClass.WRITE
                || spec.kind() == CommandClass.BLOCKING)) {
            reject(s, r, MASTERDOWN);
            return true;
        }
        if (spec.kind() != CommandClass.WRITE) {
            return false;
        }
        if (regionLocal.allKeysLocal(spec, r)) {
            if (spec.handling() == Handling.PIN) {
                pin(s);
            }
            send(s, r, true);                     // applied here only: no library call, no log entry
            return true;
        }
        if (replica == null) {
            return false;
        }
        switch (replica.settings().writePolicy()) {
            case READONLY -> reject(s, r, READONLY);
            case LOCAL -> {
                if (spec.handling() == Handling.PIN) {
                    pin(s);
                }
                send(s, r, true);                 // kept on this replica; upstream writes and deletes win
            }
            case FORWARD -> {
                if (s.inMulti()) {
                    reject(s, r, "ERR keymesh: writes inside MULTI are not forwarded by a replica "
                            + "(write-policy forward); run the transaction at a primary");
                    return true;
                }
                try {
                    forwarder.forward(s, r, s.expectReply(null));
                } finally {
                    r.release();
                }
            }
        }
        return true;
    }

    // ---- write quorum (min-replicas-to-write) ------------------------------------------------

    /**
     * Redis' min-replicas-to-write on a primary: with too few good replicas a write gets NOREPLICAS (inside
     * MULTI it also dooms the transaction) and an EXEC of queued writes discards them with EXECABORT.
     * False when the request takes the usual way.
     */
    private boolean byQuorum(ClientSession s, RespRequest r, CommandSpec spec) {
        boolean exec = spec.name().equals("EXEC") && s.inMulti();
        if (spec.kind() != CommandClass.WRITE && !WritePolicy.mayWrite(spec) && !(exec && s.multiWrites())) {
            return false;
        }
        List<ServeStatus> replicas = node.mesh() == null ? List.of() : node.mesh().replicas();
        if (quorum.allowsWrites(quorum.goodReplicas(replicas, node.clock().time().wallMillis()))) {
            if (s.inMulti() && !exec) {
                s.multiWrites(true);
            }
            return false;
        }
        if (!exec) {
            reject(s, r, WriteQuorum.NOREPLICAS);
            return true;
        }
        r.release();
        s.inMulti(false);
        s.dbAfterExec(-1);
        ByteBufAllocator alloc = s.channel().alloc();
        forward(s, RespCommand.encode("DISCARD"), reply -> Replies.error(alloc, WriteQuorum.EXECABORT));
        return true;
    }

    /**
     * Refuses a request with {@code error} as Redis' rejectCommand does: inside MULTI the transaction is
     * flagged too, so its EXEC answers EXECABORT (the backend gets a request it refuses at queue time,
     * whose reply is replaced by {@code error}).
     */
    private void reject(ClientSession s, RespRequest r, String error) {
        if (s.inMulti() && s.link() != null) {
            r.release();
            ByteBufAllocator alloc = s.channel().alloc();
            forward(s, RespCommand.encode("SELECT"), reply -> Replies.error(alloc, error));
            return;
        }
        refuse(s, r, error);
    }

    // ---- replicated write path ----------------------------------------------------------------

    /** Handles what replication changes about a request; false when the request takes the usual way. */
    private boolean replicated(ClientSession s, RespRequest r, CommandSpec spec) {
        if (spec.handling() == Handling.REFUSE || spec.handling() == Handling.LOCAL) {
            if (spec.name().equals("SELECT") && s.inMulti() && s.link() != null && r.argc() == 2) {
                long db = r.argLong(1);
                if (db != Long.MIN_VALUE && db >= userDatabases && db <= Integer.MAX_VALUE) {
                    r.release();
                    forward(s, RespCommand.encode("SELECT", "-1"), null);   // fails at EXEC, as Redis' would
                    return true;
                }
            }
            return false;
        }
        String refusal = WritePolicy.refusal(spec, r);
        if (refusal != null) {
            refuse(s, r, refusal);
            return true;
        }
        if (spec.name().equals("MULTI") && !s.inMulti()) {
            s.txn(node.clock().now());
            return false;
        }
        if (spec.name().equals("CONFIG|GET")) {
            sendTransformed(s, r, reply -> {
                ByteBuf databases = DatabasesReply.rewrite(reply, s.channel().alloc(), s.protocol(), userDatabases);
                ByteBuf out = AuthConfigReply.rewrite(databases, s.channel().alloc(), s.protocol());
                if (databases != reply && out != databases) {
                    databases.release();
                }
                return out;
            });
            return true;
        }
        if (WritePolicy.recordsLibrary(spec) && replica == null && spec.arityAccepts(r.argc())) {
            if (s.inMulti()) {
                reject(s, r, "ERR keymesh: FUNCTION " + r.argString(1).toUpperCase(Locale.ROOT)
                        + " inside MULTI is not replicated; run it outside the transaction");
            } else {
                byte[] last = r.argBytes(r.argc() - 1);       // LOAD's code, DELETE's library name
                sendWrite(s, r, null, reply -> mirrorLibraries(s, spec, last, reply));
            }
            return true;
        }
        if (spec.name().equals("FUNCTION|RESTORE") && replica == null && !s.inMulti()) {
            sendTransformed(s, r, reply -> recordRestored(s, reply));     // APPEND: FLUSH and REPLACE are refused
            return true;
        }
        if (WritePolicy.runsInLibrary(spec)) {
            if (!spec.arityAccepts(r.argc())) {
                send(s, r, true);               // Redis' own arity error
            } else {
                sendWrite(s, r, replica != null ? WritePolicy.readOnlyName(spec) : null);
            }
            return true;
        }
        String readOnly = WritePolicy.readOnlyName(spec);
        if (readOnly != null) {
            sendRenamed(s, r, readOnly);
            return true;
        }
        if (spec.kind() != CommandClass.WRITE) {
            return false;
        }
        if (!spec.arityAccepts(r.argc())) {
            send(s, r, true);                   // Redis' own arity error (and EXECABORT inside MULTI)
            return true;
        }
        if (WritePolicy.databaseArgumentOutOfRange(spec, r, userDatabases)) {
            if (s.inMulti() && s.link() != null) {
                r.release();
                forward(s, RespCommand.encode("SELECT", "-1"), null);       // queued; "DB index is out of range" at EXEC
            } else {
                refuse(s, r, "ERR DB index is out of range");
            }
            return true;
        }
        if (!s.inMulti() && (spec.handling() == Handling.PIN || blocksWithOption(spec, r))) {
            pin(s);
            sendThenTouch(s, r, spec);
            return true;
        }
        boolean plainSet = r.argc() == 3 && spec.name().equals("SET");
        if (!s.inMulti() && s.link() == null && r.frameLength() <= SetRun.FRAME_MAX
                && (plainSet || WriteRun.BATCHED.contains(spec.name()))) {
            sendInRun(s, r, plainSet);
        } else {
            sendWrite(s, r);
        }
        return true;
    }

    /**
     * Sends a write (outside MULTI, on a shared link) as part of the link's run: a plain SET joins a
     * {@link SetRun}, unless a {@link WriteRun} is open, which any batched command joins; releases it.
     */
    private void sendInRun(ClientSession s, RespRequest r, boolean plainSet) {
        try {
            BackendLink link = linkFor(s);
            if (link == null) {
                return;
            }
            int frameEnd = r.frameIndex() + r.frameLength();
            if (plainSet && !(link.run() instanceof WriteRun)) {
                int keyFrom = r.argIndex(0) + r.argLength(0) + 2;
                SetRun.add(link, s.channel().alloc(), runOrigin, s.db(), node.clock().now(), r.buffer(), keyFrom,
                        frameEnd, s.expectReply(null));
            } else {
                int from = WriteEncoder.argumentsStart(r.buffer(), r.frameIndex(), r.frameLength());
                WriteRun.add(link, s.channel().alloc(), runOrigin, s.db(), node.clock().now(), r.buffer(), from,
                        frameEnd, r.argc(), s.expectReply(null));
            }
            afterSend(s, link);
        } finally {
            r.release();
        }
    }

    /** Sends a WRITE request as the library's write call: {@link ApplyCalls#header}, then the client's command and arguments; releases it. */
    private void sendWrite(ClientSession s, RespRequest r) {
        sendWrite(s, r, null, null);
    }

    private void sendWrite(ClientSession s, RespRequest r, String name) {
        sendWrite(s, r, name, null);
    }

    /**
     * Sends a request as the library's write call (header, then the client's command and arguments), under another
     * command name when {@code name} is not null (a script run read-only on a replica), its reply passed
     * through {@code transform} when not null; releases it.
     */
    private void sendWrite(ClientSession s, RespRequest r, String name, Function<ByteBuf, ByteBuf> transform) {
        try {
            BackendLink link = linkFor(s);
            if (link == null) {
                return;
            }
            boolean multi = s.inMulti();
            int db = multi && s.dbAfterExec() >= 0 ? s.dbAfterExec() : s.db();
            ByteBuf header = writes.header(s.channel().alloc(), r.argc(), s.protocol(), db, node.clock().now(),
                    multi ? s.txn() : 0);
            int from = WriteEncoder.argumentsStart(r.buffer(), r.frameIndex(), r.frameLength());
            if (name != null) {
                header.writeBytes(WriteEncoder.bulk(name));
                from = r.argIndex(0) + r.argLength(0) + 2;
            }
            link.send(header, null);
            link.send(r.buffer(), from, r.frameIndex() + r.frameLength() - from, s.expectReply(transform));
            afterSend(s, link);
        } finally {
            r.release();
        }
    }

    /** Sends a request under another command name (EVAL as EVAL_RO); releases it. */
    private void sendRenamed(ClientSession s, RespRequest r, String name) {
        try {
            BackendLink link = linkFor(s);
            if (link == null) {
                return;
            }
            int from = r.argIndex(0) + r.argLength(0) + 2;
            link.send(WriteEncoder.renamedPrefix(s.channel().alloc(), r.argc(), name), null);
            link.send(r.buffer(), from, r.frameIndex() + r.frameLength() - from,
                    s.expectReply(reply -> WritePolicy.scriptReply(reply, s.channel().alloc())));
            afterSend(s, link);
        } finally {
            r.release();
        }
    }

    /** Forwards the client's bytes with a reply transform; releases the request. */
    private void sendTransformed(ClientSession s, RespRequest r, Function<ByteBuf, ByteBuf> transform) {
        try {
            BackendLink link = linkFor(s);
            if (link != null) {
                link.send(r.buffer(), r.frameIndex(), r.frameLength(), s.expectReply(transform));
                afterSend(s, link);
            }
        } finally {
            r.release();
        }
    }

    /**
     * Runs a blocking write natively on the session's own link; once it returns data, records each key
     * it changed with {@link ApplyCalls#touch} (an XREADGROUP: what it delivered from each stream,
     * {@link ApplyCalls#delivered}) on the loop's shared link for that database
     * (so nothing queues behind the client's later requests). At-least-once: a crash between the two
     * loses only the record, which the next write of the key carries again.
     */
    private void sendThenTouch(ClientSession s, RespRequest r, CommandSpec spec) {
        TouchKeys keys = TouchKeys.of(spec.name(), r);
        if (TouchKeys.listPop(spec.name())) {
            popThroughFunctionFirst(s, r, spec, touching(s, keys));
        } else {
            sendTransformed(s, r, touching(s, keys));
        }
    }

    /** Records, once a native blocking write's reply arrives, what it changed; the reply goes on unchanged. */
    private Function<ByteBuf, ByteBuf> touching(ClientSession s, TouchKeys keys) {
        int db = s.db();
        int protocol = s.protocol();
        EventLoop loop = s.channel().eventLoop();
        return reply -> {
            if (keys.delivers()) {
                // an XREADGROUP: its deliveries, per stream, merge per entry (stream.lua)
                for (List<byte[]> delivered : keys.deliveries(reply)) {
                    TouchRecord.send(loop, () -> BackendPool.current(loop, node.connector(), userDatabases).shared(db, protocol),
                            writes.delivered(s.channel().alloc(), protocol, db, node.clock().now(), delivered));
                }
                return reply;
            }
            for (byte[][] record : keys.records(reply)) {
                TouchRecord.send(loop, () -> BackendPool.current(loop, node.connector(), userDatabases).shared(db, protocol),
                        writes.touch(s.channel().alloc(), protocol, db, node.clock().now(), record));
            }
            return reply;
        };
    }

    /** A blocking list pop: through the library's write call first, then waiting (see {@link BlockingListPop}); releases the request. */
    private void popThroughFunctionFirst(ClientSession s, RespRequest r, CommandSpec spec, Function<ByteBuf, ByteBuf> touch) {
        try {
            BackendLink link = linkFor(s);
            if (link == null) {
                return;
            }
            ByteBuf frame = Unpooled.copiedBuffer(r.buffer().slice(r.frameIndex(), r.frameLength()));
            int from = WriteEncoder.argumentsStart(frame, 0, frame.readableBytes());
            int argc = r.argc();
            int protocol = s.protocol();
            int db = s.db();
            ByteBufAllocator alloc = s.channel().alloc();
            String name = spec.name();
            BlockingListPop pop = new BlockingListPop(link, alloc,
                    stamp -> writes.header(alloc, argc, protocol, db, stamp, 0), () -> node.clock().now(),
                    node.clock().time(), frame, from, s.expectReply(null), touch, singleList(name, r), timeoutOf(name, r),
                    !name.equals("BLMOVE") && !name.equals("BRPOPLPUSH"), protocol);
            pop.start();
            afterSend(s, link);
        } finally {
            r.release();
        }
    }

    /** The one list a blocking list pop waits on, or null when it names several. */
    private static byte[] singleList(String command, RespRequest r) {
        return switch (command) {
            case "BLPOP", "BRPOP" -> r.argc() == 3 ? r.argBytes(1) : null;
            case "BLMOVE", "BRPOPLPUSH" -> r.argBytes(1);
            case "BLMPOP" -> r.argc() >= 5 && r.argEquals(2, "1") ? r.argBytes(3) : null;
            default -> null;
        };
    }

    /** A blocking list pop's timeout in seconds (0: for ever; a bad one gets Redis' error from the library's write call first). */
    private static double timeoutOf(String command, RespRequest r) {
        int at = command.equals("BLMPOP") ? 1 : r.argc() - 1;
        try {
            return Double.parseDouble(new String(r.argBytes(at), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * After the apply library recorded a FUNCTION LOAD, DELETE or FLUSH (its reply: the library's name,
     * OK, or the names of the libraries FLUSH deleted), makes the same change to the redis-server's own
     * libraries, so FUNCTION LIST, DUMP and STATS show it; errors reach the client unchanged. A FLUSH
     * answers OK, as in Redis.
     */
    private ByteBuf mirrorLibraries(ClientSession s, CommandSpec spec, byte[] last, ByteBuf reply) {
        if (ReplyScanner.isError(reply, reply.readerIndex())) {
            return reply;
        }
        List<ByteBuf> changes = new ArrayList<>();
        switch (spec.name()) {
            case "FUNCTION|LOAD" -> changes.add(RespCommand.encode("FUNCTION", "LOAD", "REPLACE",
                    new String(last, StandardCharsets.UTF_8)));
            case "FUNCTION|DELETE" -> changes.add(RespCommand.encode("FUNCTION", "DELETE",
                    new String(last, StandardCharsets.UTF_8)));
            default -> {
                ReplyReader names = new ReplyReader(reply.duplicate());
                if (names.type() == '*' || names.type() == '~') {
                    for (long i = names.isNull() ? 0 : names.readAggregate(); i > 0; i--) {
                        if (names.isString()) {
                            changes.add(RespCommand.encode("FUNCTION", "DELETE", names.readText()));
                        } else {
                            names.skip();
                        }
                    }
                }
                reply = Replies.of(Replies.OK);      // the backend's reply is a view: not released here
            }
        }
        // after this reply is handed on: the shared link may be the one delivering it
        BackendPool pool = pool(s);
        int db = s.db();
        int protocol = s.protocol();
        s.channel().eventLoop().execute(() -> {
            BackendLink shared = pool.shared(db, protocol);
            for (ByteBuf change : changes) {
                shared.send(change, MirrorSink.INSTANCE);
            }
        });
        return reply;
    }

    /**
     * After a FUNCTION RESTORE (APPEND) the redis-server accepted, records every client library it now
     * holds with FUNCTION LOAD REPLACE through the library's write call, so the restored ones replicate (a library recorded with
     * the same code already is not logged again); the client gets Redis' reply.
     */
    private ByteBuf recordRestored(ClientSession s, ByteBuf reply) {
        if (ReplyScanner.isError(reply, reply.readerIndex())) {
            return reply;
        }
        BackendPool pool = pool(s);
        ByteBufAllocator alloc = s.channel().alloc();
        s.channel().eventLoop().execute(() -> pool.shared(0, 2).send(RespCommand.encode("FUNCTION", "LIST", "WITHCODE"),
                new RestoredSink(pool, alloc, s.channel().eventLoop())));
        return reply;
    }

    /** Reads FUNCTION LIST WITHCODE after a restore and sends FUNCTION LOAD REPLACE through the library's write call per client library. */
    private final class RestoredSink implements ReplySink {
        private final BackendPool pool;
        private final ByteBufAllocator alloc;
        private final EventLoop loop;

        RestoredSink(BackendPool pool, ByteBufAllocator alloc, EventLoop loop) {
            this.pool = pool;
            this.alloc = alloc;
            this.loop = loop;
        }

        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            List<ByteBuf> records;
            try {
                records = records(new ReplyReader(buffer.slice(index, length)));
            } catch (IllegalStateException e) {
                records = null;
            }
            if (records == null) {
                log.warn("FUNCTION RESTORE ran, but keymesh could not list the libraries to record them");
                return;
            }
            List<ByteBuf> toSend = records;
            // after this reply is handed on: the shared link is the one delivering it
            loop.execute(() -> toSend.forEach(request -> pool.shared(0, 2).send(request, MirrorSink.INSTANCE)));
        }

        /** A FUNCTION LOAD REPLACE through the apply library's write per client library in a FUNCTION LIST WITHCODE reply; null when it is no list. */
        private List<ByteBuf> records(ReplyReader libraries) {
            if (libraries.type() != '*' || libraries.isNull()) {
                return null;
            }
            List<ByteBuf> records = new ArrayList<>();
            for (long l = libraries.readAggregate(); l > 0; l--) {
                String name = null;
                byte[] code = null;
                for (long i = libraries.readAggregate() / 2; i > 0; i--) {     // RESP2: field, value, ...
                    String field = libraries.isString() ? libraries.readText() : null;
                    if (field == null) {
                        libraries.skip();
                    }
                    if ("library_name".equals(field) && libraries.isString()) {
                        name = libraries.readText();
                    } else if ("library_code".equals(field) && libraries.isString()) {
                        code = libraries.readString();
                    } else {
                        libraries.skip();
                    }
                }
                if (name != null && code != null && !name.equals(WritePolicy.LIBRARY_NAME)) {
                    ByteBuf request = writes.header(alloc, 4, 2, 0, node.clock().now(), 0);
                    WriteEncoder.writeBulk(request, "FUNCTION".getBytes(StandardCharsets.US_ASCII));
                    WriteEncoder.writeBulk(request, "LOAD".getBytes(StandardCharsets.US_ASCII));
                    WriteEncoder.writeBulk(request, "REPLACE".getBytes(StandardCharsets.US_ASCII));
                    WriteEncoder.writeBulk(request, code);
                    records.add(request);
                }
            }
            return records;
        }

        @Override
        public void onFailure(String error) {
            log.warn("FUNCTION RESTORE ran, but its libraries were not recorded: {}", error);
        }
    }

    /** Consumes the replies of native library changes that mirror recorded ones; a failure is logged. */
    private enum MirrorSink implements ReplySink {
        INSTANCE;

        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            String error = ReplyScanner.isError(buffer, index) ? buffer.toString(index, length, StandardCharsets.UTF_8).trim() : null;
            // a library a peer loaded may not be loaded natively yet (FunctionSync): deleting it is then done
            if (error != null && !error.equals("-ERR Library not found")) {
                log.warn("the redis-server refused a function library change keymesh recorded: {}", error);
            }
        }

        @Override
        public void onFailure(String error) {
            log.warn("a function library change keymesh recorded was not mirrored: {}", error);
        }
    }

    /** EXEC of a transaction with a queued SELECT: the session's db follows if the transaction ran. */
    private static ByteBuf afterExecWithSelect(ClientSession s, int db, ByteBuf reply) {
        int at = reply.readerIndex();
        if (reply.readableBytes() > 1 && reply.getByte(at) == '*' && reply.getByte(at + 1) != '-') {
            s.db(db);
        }
        return reply;
    }

    private static boolean allowedBeforeAuth(CommandSpec spec) {
        if (spec == null) {
            return false;
        }
        return switch (spec.name()) {
            case "AUTH", "HELLO", "QUIT", "RESET" -> true;
            default -> false;
        };
    }

    private void refuse(ClientSession s, RespRequest r, String error) {
        r.release();
        s.reply(Replies.error(s.channel().alloc(), error));
    }

    /** XREAD and XREADGROUP block only when BLOCK appears before STREAMS. */
    private static boolean blocksWithOption(CommandSpec spec, RespRequest r) {
        if (!spec.name().equals("XREAD") && !spec.name().equals("XREADGROUP")) {
            return false;
        }
        for (int i = 1; i < r.argc(); i++) {
            if (r.argEquals(i, "STREAMS")) {
                return false;
            }
            if (r.argEquals(i, "BLOCK")) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the request must wait until every earlier reply of the session is written: a
     * subscribe-family command's confirmations have no one-to-one request (RESP2: PIPE mode, where
     * replies are not matched; RESP3: pushes), so nothing may be outstanding before them; a
     * redirecting CLIENT TRACKING is waiting for its redirect link (ClientTracking).
     */
    public boolean needsDrainedReplies(ClientSession s, CommandSpec spec) {
        return s.trackingSetup() || spec != null && spec.handling() == Handling.SUBSCRIBE
                && s.mode() != ClientSession.Mode.PIPE && s.authenticated();
    }

    private void subscribe(ClientSession s, RespRequest r) {
        pin(s);
        if (s.inMulti()) {
            send(s, r, true);         // only queued (+QUEUED): redis-server subscribes at EXEC, so no PIPE mode here
            return;
        }
        s.subscribed(true);
        if (s.protocol() == 2) {
            s.enterPipe();            // subscribe replies have no one-to-one request: pipe everything
        }                             // RESP3: confirmations are pushes, told apart by type
        sendWithBarrier(s, r);
    }

    /**
     * Forwards a subscribe-family command (or a RESET in PIPE mode) and the session's marker PING
     * right behind it; the session's later requests wait for the PING's reply (SessionHandler), so
     * they come after every confirmation of the command and are dispatched knowing whether the
     * connection is still in subscribe mode ({@link ClientSession#barrierRequest}).
     */
    private void sendWithBarrier(ClientSession s, RespRequest r) {
        try {
            BackendLink link = linkFor(s);
            if (link != null) {
                link.send(r.buffer(), r.frameIndex(), r.frameLength(), null);
                link.send(s.barrierRequest(), null);
                afterSend(s, link);
            }
        } finally {
            r.release();
        }
    }

    private void pin(ClientSession s) {
        if (s.link() == null) {
            BackendLink link = pool(s).dedicated(s.db(), s.protocol(), s);
            s.pin(link);
            link.send(RespCommand.encode("CLIENT", "ID"), new BackendIdSink(s));   // for CLIENT UNBLOCK
        }
    }

    /** Forwards the client's request bytes on the session's link; releases the request. */
    private void send(ClientSession s, RespRequest r, boolean expectReply) {
        try {
            BackendLink link = linkFor(s);
            if (link != null) {
                link.send(r.buffer(), r.frameIndex(), r.frameLength(), expectReply ? s.expectReply(null) : null);
                afterSend(s, link);
            }
        } finally {
            r.release();
        }
    }

    /** Sends a request keymesh built on the session's link, with a place in its reply order. */
    public void forward(ClientSession s, ByteBuf request, Function<ByteBuf, ByteBuf> transform) {
        BackendLink link = linkFor(s);
        if (link == null) {
            request.release();
            return;
        }
        link.send(request, s.expectReply(transform));
        afterSend(s, link);
    }

    /** The session's own link, or its loop's shared link; null (and an error reply) while the backend is down. */
    private BackendLink linkFor(ClientSession s) {
        if (!node.backend().up()) {
            s.reply(Replies.error(s.channel().alloc(), node.backend().unavailableError()));
            return null;
        }
        BackendLink own = s.link();
        BackendLink link = own != null ? own
                : pool(s).shared(s.db(), s.protocol(), s.hasPendingReplies() ? s.lastSent() : null);
        s.sendingOn(link);
        return link;
    }

    private void afterSend(ClientSession s, BackendLink link) {
        if (!link.isWritable() && s.link() == null) {
            s.channel().config().setAutoRead(false);     // backpressure: the shared link is backed up
            pool(s).whenWritable(s::onClientWritable);
        }
    }

    private BackendPool pool(ClientSession s) {
        EventLoop loop = s.channel().eventLoop();
        return BackendPool.current(loop, node.connector(), node.backend().databases());
    }
}
