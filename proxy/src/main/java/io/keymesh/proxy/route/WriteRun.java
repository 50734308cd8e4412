package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Set;

/**
 * Write commands of several clients (outside MULTI) held on one shared backend link to leave as one
 * call of the apply library ({@link ApplyCalls#runStart}: per command its stamp, its argument count
 * and its bulks as the client sent them) (docs/design/replication.md, "Runs of writes"), sent and
 * answered as every {@link ApplyRun}.
 */
final class WriteRun extends ApplyRun {
    /**
     * Commands that join a run: single-key writes whose reply is the same in RESP2 and RESP3
     * (integers, bulk strings, errors), so one call serves clients of either protocol. A plain SET
     * joins a run that is open; else it starts a {@link SetRun}.
     */
    static final Set<String> BATCHED = Set.of("INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT",
            "HSET", "HSETNX", "HDEL", "HINCRBY", "HINCRBYFLOAT", "SADD", "SREM");
    private int args;

    private WriteRun(ByteBufAllocator alloc, SetRun.Origin origin, int db) {
        super(alloc, origin, db);   // per command in the body: stamp and argc bulks, then its bulks as the client sent them
    }

    /**
     * Adds a write command to the run open on {@code link}, or to a new one: the client's frame is
     * {@code frame} (from its command name's bulk at {@code from} to {@code frameEnd}) of {@code argc}
     * bulks, its stamp {@code hlc}, its reply goes to {@code sink}.
     */
    static void add(BackendLink link, ByteBufAllocator alloc, SetRun.Origin origin, int db, long hlc,
                    ByteBuf frame, int from, int frameEnd, int argc, ReplySink sink) {
        WriteRun run = link.run() instanceof WriteRun open && !open.full() ? open : null;
        if (run == null) {
            run = new WriteRun(alloc, origin, db);
            link.startRun(run);
        }
        run.writeStamp(hlc);
        ByteBuf body = run.body;
        ApplyCalls.writeCountBulk(body, argc);
        body.writeBytes(frame, from, frameEnd - from);
        run.args += 2 + argc;
        run.sinks.add(sink);
    }

    @Override
    public void send(BackendLink link) {
        sendCall(link, ApplyCalls.runStart(head.alloc(), args, head), "write");
    }
}
