package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Write commands of several clients (outside MULTI) held on one shared backend link to leave as one
 * call of the apply library ({@link ApplyCalls#runStart}: per command its stamp, its argument count
 * and its bulks as the client sent them) (docs/design/replication.md, "Runs of writes"). Sent as
 * {@link SetRun} is, so requests keep their order; the call's array reply is cut into one reply per
 * command, each handed to its client's sink.
 */
final class WriteRun implements BackendLink.Run {
    /**
     * Commands that join a run: single-key writes whose reply is the same in RESP2 and RESP3
     * (integers, bulk strings, errors), so one call serves clients of either protocol. A plain SET
     * joins a run that is open; else it starts a {@link SetRun}.
     */
    static final Set<String> BATCHED = Set.of("INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT",
            "HSET", "HSETNX", "HDEL", "HINCRBY", "HINCRBYFLOAT", "SADD", "SREM");
    /** A run of this many commands is sent and a new one started (it keeps one Lua call short). */
    static final int COMMANDS_MAX = 64;
    /** A run that holds this many bytes of commands is sent and a new one started. */
    static final int BYTES_MAX = 32 * 1024;

    private final ByteBuf head;           // N, origin and db bulks
    private final ByteBuf body;           // per command: stamp and argc bulks, then its bulks as the client sent them
    private final byte[] stamp;           // the text stamp being written: HLC digits, then the node id
    private final List<ReplySink> sinks = new ArrayList<>();
    private int args;

    private WriteRun(ByteBufAllocator alloc, SetRun.Origin origin, int db) {
        head = origin.callHead(alloc, db);
        body = alloc.directBuffer(2048);
        stamp = origin.stampBuffer();
    }

    /**
     * Adds a write command to the run open on {@code link}, or to a new one: the client's frame is
     * {@code frame} (from its command name's bulk at {@code from} to {@code frameEnd}) of {@code argc}
     * bulks, its stamp {@code hlc}, its reply goes to {@code sink}.
     */
    static void add(BackendLink link, ByteBufAllocator alloc, SetRun.Origin origin, int db, long hlc,
                    ByteBuf frame, int from, int frameEnd, int argc, ReplySink sink) {
        WriteRun run = link.run() instanceof WriteRun open ? open : null;
        if (run == null || run.sinks.size() >= COMMANDS_MAX || run.body.readableBytes() >= BYTES_MAX) {
            run = new WriteRun(alloc, origin, db);
            link.startRun(run);
        }
        ByteBuf body = run.body;
        Stamp.writeHlc(hlc, run.stamp, 0);
        WriteEncoder.writeBulk(body, run.stamp);
        ApplyCalls.writeCountBulk(body, argc);
        body.writeBytes(frame, from, frameEnd - from);
        run.args += 2 + argc;
        run.sinks.add(sink);
    }

    @Override
    public void send(BackendLink link) {
        ByteBuf start = ApplyCalls.runStart(head.alloc(), args, head);
        head.release();
        link.send(start, null);                       // the call's start, then its commands: one request
        link.send(body, new RunReplies(sinks, "write"));
    }
}
