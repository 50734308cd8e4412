package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * Plain SETs (SET key value, outside MULTI) of several clients, held on one shared backend link to
 * leave as one call of the apply library ({@link ApplyCalls#setsStart}: per SET its stamp, packed stamp, key and value)
 * (docs/design/replication.md, "Runs of plain SETs"), sent and answered as every {@link ApplyRun}.
 */
final class SetRun extends ApplyRun {
    /** Client frames up to this size join a run; a larger SET goes alone, as any write. */
    static final int FRAME_MAX = 4096;
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

    private SetRun(ByteBufAllocator alloc, Origin origin, int db) {
        super(alloc, origin, db);   // per SET in the body: stamp bulks, then key and value as the client sent them
    }

    /**
     * Adds a plain SET to the run open on {@code link}, or to a new one: the client's frame is
     * {@code frame} (from its key's bulk at {@code keyFrom} to {@code frameEnd}), its stamp
     * {@code hlc} of node {@code origin}, its reply goes to {@code sink}.
     */
    static void add(BackendLink link, ByteBufAllocator alloc, Origin origin, int db, long hlc,
                    ByteBuf frame, int keyFrom, int frameEnd, ReplySink sink) {
        SetRun run = link.run() instanceof SetRun open && !open.full() ? open : null;
        if (run == null) {
            run = new SetRun(alloc, origin, db);
            link.startRun(run);
        }
        run.writeStamp(hlc);
        ByteBuf body = run.body;
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
        sendCall(link, ApplyCalls.setsStart(head.alloc(), sinks.size(), head), "SET");
    }
}
