package io.keymesh.proxy.route;

import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Plain SETs (SET key value, outside MULTI) of several clients, held on one shared backend link to
 * leave as one {@code FCALL km_ws 0 <N> <origin> <db> {<stamp> <packed stamp> <key> <value>} ...} call
 * (docs/design/replication.md, "Runs of plain SETs"). The link sends the run before any other request and
 * at the end of the event-loop turn ({@link BackendLink.Run}), so requests keep their order; the
 * call's array reply is cut into one reply per SET, each handed to its client's sink.
 */
final class SetRun implements BackendLink.Run {
    /** Client frames up to this size join a run; a larger SET goes alone through km_w. */
    static final int FRAME_MAX = 4096;
    /** A run of this many SETs is sent and a new one started (it keeps one Lua call short). */
    static final int SETS_MAX = 64;
    /** A run that holds this many bytes of SETs is sent and a new one started. */
    static final int BYTES_MAX = 32 * 1024;
    private static final byte[] FCALL_KM_WS = "$5\r\nFCALL\r\n$5\r\nkm_ws\r\n$1\r\n0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PACKED_BULK = "$12\r\n".getBytes(StandardCharsets.US_ASCII);   // 8 bytes of HLC, 4 of node id
    private static final byte[] EMPTY_BULK = "$0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ByteBuf head;           // N, origin and db bulks
    private final ByteBuf body;           // per SET: stamp bulk, then key and value as the client sent them
    private final List<ReplySink> sinks = new ArrayList<>();

    private SetRun(ByteBufAllocator alloc, byte[] fixedHead, int db) {
        head = alloc.buffer(64);
        head.writeBytes(fixedHead);
        head.writeBytes(WriteEncoder.bulk(Integer.toString(db)));
        body = alloc.directBuffer(2048);
    }

    /**
     * Adds a plain SET to the run open on {@code link}, or to a new one: the client's frame is
     * {@code frame} (from its key's bulk at {@code keyFrom} to {@code frameEnd}), its stamp
     * {@code hlc}, its reply goes to {@code sink}.
     *
     * @param fixedHead the N and origin bulks of this node ({@link #fixedHead})
     * @param nodeId the node id's 8 hex digits, and {@code packedId} the 4 bytes they stand for
     */
    static void add(BackendLink link, ByteBufAllocator alloc, byte[] fixedHead, byte[] nodeId, byte[] packedId,
                    int db, long hlc, ByteBuf frame, int keyFrom, int frameEnd, ReplySink sink) {
        SetRun run = link.run() instanceof SetRun open ? open : null;
        if (run == null || run.sinks.size() >= SETS_MAX || run.body.readableBytes() >= BYTES_MAX) {
            run = new SetRun(alloc, fixedHead, db);
            link.startRun(run);
        }
        ByteBuf body = run.body;
        byte[] stamp = new byte[Stamp.HLC_DIGITS + nodeId.length];
        Stamp.writeHlc(hlc, stamp, 0);
        System.arraycopy(nodeId, 0, stamp, Stamp.HLC_DIGITS, nodeId.length);
        WriteEncoder.writeBulk(body, stamp);
        // the stamp as the library stores a bare register stamp, two hex digits per byte, so that it
        // need not pack it; only for stamps it would pack (top byte below 0x20), else empty
        if ((hlc >>> 56) < 0x20) {
            body.writeBytes(PACKED_BULK);
            body.writeLong(hlc);
            body.writeBytes(packedId);
            body.writeBytes(CRLF);
        } else {
            body.writeBytes(EMPTY_BULK);
        }
        body.writeBytes(frame, keyFrom, frameEnd - keyFrom);
        run.sinks.add(sink);
    }

    /** The 4 bytes a node id's 8 hex digits stand for. */
    static byte[] packedId(String nodeId) {
        byte[] out = new byte[nodeId.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(nodeId.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    @Override
    public void send(BackendLink link) {
        ByteBuf start = head.alloc().buffer(16 + FCALL_KM_WS.length + head.readableBytes());
        start.writeByte('*');
        start.writeCharSequence(Integer.toString(6 + 4 * sinks.size()), StandardCharsets.US_ASCII);
        start.writeBytes(CRLF);
        start.writeBytes(FCALL_KM_WS);
        start.writeBytes(head);
        head.release();
        link.send(start, null);                       // the call's start, then its SETs: one request
        link.send(body, new Replies(sinks));
    }

    /** The N and origin bulks every run of a node starts with. */
    static byte[] fixedHead(int userDatabases, String nodeId) {
        byte[] n = WriteEncoder.bulk(Integer.toString(userDatabases));
        byte[] id = WriteEncoder.bulk(nodeId);
        byte[] out = Arrays.copyOf(n, n.length + id.length);
        System.arraycopy(id, 0, out, n.length, id.length);
        return out;
    }

    /** Cuts km_ws's array reply into its elements, one per SET; an error for the whole call goes to every SET. */
    private record Replies(List<ReplySink> sinks) implements ReplySink {
        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            if (buffer.getByte(index) != '*') {
                for (ReplySink sink : sinks) {
                    sink.onReply(buffer, index, length);
                }
                return;
            }
            int first = buffer.indexOf(index, index + length, (byte) '\n') + 1;
            ByteBuf elements = buffer.slice(first, index + length - first);
            ReplyScanner scanner = new ReplyScanner();
            int given = 0;
            while (given < sinks.size() && elements.isReadable()) {
                int n = scanner.scan(elements);
                if (n == ReplyScanner.INCOMPLETE) {
                    break;
                }
                sinks.get(given++).onReply(buffer, first + elements.readerIndex(), n);
                elements.skipBytes(n);
            }
            for (int i = given; i < sinks.size(); i++) {
                sinks.get(i).onFailure("ERR keymesh: a batched SET got no reply of its own from the backend");
            }
        }

        @Override
        public void onFailure(String error) {
            for (ReplySink sink : sinks) {
                sink.onFailure(error);
            }
        }
    }
}
