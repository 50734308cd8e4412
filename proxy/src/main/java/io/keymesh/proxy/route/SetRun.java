package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain SETs (SET key value, outside MULTI) of several clients, held on one shared backend link to
 * leave as one call of the apply library ({@link ApplyCalls#setsStart}: per SET its stamp, packed stamp, key and value)
 * (docs/design/replication.md, "Runs of plain SETs"). The link sends the run before any other request and
 * at the end of the event-loop turn ({@link BackendLink.Run}), so requests keep their order; the
 * call's array reply is cut into one reply per SET, each handed to its client's sink.
 */
final class SetRun implements BackendLink.Run {
    /** Client frames up to this size join a run; a larger SET goes alone, as any write. */
    static final int FRAME_MAX = 4096;
    /** A run of this many SETs is sent and a new one started (it keeps one Lua call short). */
    static final int SETS_MAX = 64;
    /** A run that holds this many bytes of SETs is sent and a new one started. */
    static final int BYTES_MAX = 32 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PACKED_BULK = "$12\r\n".getBytes(StandardCharsets.US_ASCII);   // 8 bytes of HLC, 4 of node id
    private static final byte[] EMPTY_BULK = "$0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** What every run of a node writes the same: the N and origin bulks, the node id and its packed form. */
    record Origin(byte[] fixedHead, byte[] nodeId, byte[] packedId) {
        /** For node {@code nodeId} (8 lower-case hex digits) with {@code userDatabases} user databases. */
        static Origin of(int userDatabases, String nodeId) {
            byte[] head = new ApplyCalls(nodeId, userDatabases).setsFixedHead();
            byte[] packed = new byte[nodeId.length() / 2];
            for (int i = 0; i < packed.length; i++) {
                packed[i] = (byte) Integer.parseInt(nodeId.substring(2 * i, 2 * i + 2), 16);
            }
            return new Origin(head, nodeId.getBytes(StandardCharsets.US_ASCII), packed);
        }

        /** A run's call head after the function name: the fixed head, then the bulk of user db {@code db}. */
        ByteBuf callHead(ByteBufAllocator alloc, int db) {
            ByteBuf head = alloc.buffer(64);
            head.writeBytes(fixedHead);
            head.writeBytes(ApplyCalls.setsDb(db));
            return head;
        }

        /** A text stamp of this node to write HLC digits into: 16 places, then the node id. */
        byte[] stampBuffer() {
            byte[] stamp = new byte[Stamp.HLC_DIGITS + nodeId.length];
            System.arraycopy(nodeId, 0, stamp, Stamp.HLC_DIGITS, nodeId.length);
            return stamp;
        }
    }

    private final ByteBuf head;           // N, origin and db bulks
    private final ByteBuf body;           // per SET: stamp bulks, then key and value as the client sent them
    private final byte[] stamp;           // the text stamp being written: HLC digits, then the node id
    private final List<ReplySink> sinks = new ArrayList<>();

    private SetRun(ByteBufAllocator alloc, Origin origin, int db) {
        head = origin.callHead(alloc, db);
        body = alloc.directBuffer(2048);
        stamp = origin.stampBuffer();
    }

    /**
     * Adds a plain SET to the run open on {@code link}, or to a new one: the client's frame is
     * {@code frame} (from its key's bulk at {@code keyFrom} to {@code frameEnd}), its stamp
     * {@code hlc} of node {@code origin}, its reply goes to {@code sink}.
     */
    static void add(BackendLink link, ByteBufAllocator alloc, Origin origin, int db, long hlc,
                    ByteBuf frame, int keyFrom, int frameEnd, ReplySink sink) {
        SetRun run = link.run() instanceof SetRun open ? open : null;
        if (run == null || run.sinks.size() >= SETS_MAX || run.body.readableBytes() >= BYTES_MAX) {
            run = new SetRun(alloc, origin, db);
            link.startRun(run);
        }
        ByteBuf body = run.body;
        Stamp.writeHlc(hlc, run.stamp, 0);
        WriteEncoder.writeBulk(body, run.stamp);
        // the stamp as the library stores a bare register stamp, two hex digits per byte, so that it
        // need not pack it; only for stamps it would pack (top byte below 0x20), else empty
        if ((hlc >>> 56) < 0x20) {
            body.writeBytes(PACKED_BULK);
            body.writeLong(hlc);
            body.writeBytes(origin.packedId());
            body.writeBytes(CRLF);
        } else {
            body.writeBytes(EMPTY_BULK);
        }
        body.writeBytes(frame, keyFrom, frameEnd - keyFrom);
        run.sinks.add(sink);
    }

    @Override
    public void send(BackendLink link) {
        ByteBuf start = ApplyCalls.setsStart(head.alloc(), sinks.size(), head);
        head.release();
        link.send(start, null);                       // the call's start, then its SETs: one request
        link.send(body, new RunReplies(sinks, "SET"));
    }
}
