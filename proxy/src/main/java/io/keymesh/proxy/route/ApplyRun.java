package io.keymesh.proxy.route;

import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link SetRun} and {@link WriteRun} share: several clients' writes held on one shared backend
 * link to leave as one call of the apply library: the call's head, per write its text stamp and its
 * bulks, and per write the sink its reply goes to. The link sends the run before any other request
 * and at the end of the event-loop turn ({@link BackendLink.Run}), so requests keep their order; the
 * call's array reply is cut into one reply per write ({@link RunReplies}).
 */
abstract class ApplyRun implements BackendLink.Run {
    /** A run of this many writes is sent and a new one started (it keeps one Lua call short). */
    static final int WRITES_MAX = 64;
    /** A run that holds this many bytes of writes is sent and a new one started. */
    static final int BYTES_MAX = 32 * 1024;

    final ByteBuf head;                   // N, origin and db bulks
    final ByteBuf body;                   // per write: its stamp bulk, then the bulks its call reads
    final List<ReplySink> sinks = new ArrayList<>();
    private final byte[] stamp;           // the text stamp being written: HLC digits, then the node id

    ApplyRun(ByteBufAllocator alloc, SetRun.Origin origin, int db) {
        head = origin.callHead(alloc, db);
        body = alloc.directBuffer(2048);
        stamp = origin.stampBuffer();
    }

    /** Whether the run holds all one call should: the next write starts a new run. */
    final boolean full() {
        return sinks.size() >= WRITES_MAX || body.readableBytes() >= BYTES_MAX;
    }

    /** Writes stamp {@code hlc} of this node, as text, as the body's next bulk. */
    final void writeStamp(long hlc) {
        Stamp.writeHlc(hlc, stamp, 0);
        WriteEncoder.writeBulk(body, stamp);
    }

    /**
     * Sends the call as one request: {@code start} (built from {@link #head}, which this releases),
     * then the body; its reply goes to the sinks, an error naming the writes {@code what}.
     */
    final void sendCall(BackendLink link, ByteBuf start, String what) {
        head.release();
        link.send(start, null);
        link.send(body, new RunReplies(sinks, what));
    }
}
