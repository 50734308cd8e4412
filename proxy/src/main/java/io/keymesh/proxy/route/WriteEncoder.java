package io.keymesh.proxy.route;

import io.keymesh.storage.conn.RespCommand;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * Builds the backend requests of the replicated write path (docs/design/replication.md, "Local
 * write"): the header {@code FCALL km_w 0 <proto> <db> <N> <origin> <stamp> <txn>} that goes in
 * front of a client's command and its arguments, and a client command renamed (EVAL to EVAL_RO).
 * The client's own bytes are never copied here: callers send the header, then the client's frame
 * from {@link #argumentsStart}, on the same link.
 */
public final class WriteEncoder {
    /** Arguments km_w takes before the client's command. */
    static final int HEADER_ARGS = 9;       // FCALL km_w 0 proto db N origin stamp txn
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] FCALL_KM_W = "$5\r\nFCALL\r\n$4\r\nkm_w\r\n$1\r\n0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO_2 = "$1\r\n2\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO_3 = "$1\r\n3\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_TXN = "$1\r\n0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOUCH = "$8\r\nKM.TOUCH\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] XDELIVERED = "KM.XDELIVERED".getBytes(StandardCharsets.US_ASCII);

    private final byte[] userDatabases;   // "$<len>\r\n<N>\r\n"
    private final byte[] origin;          // "$8\r\n<node id>\r\n"
    private final byte[] nodeId;

    public WriteEncoder(String nodeId, int userDatabases) {
        this.nodeId = nodeId.getBytes(StandardCharsets.US_ASCII);
        this.userDatabases = bulk(Integer.toString(userDatabases));
        this.origin = bulk(nodeId);
    }

    /**
     * The km_w header for a client command of {@code clientArgs} arguments (its name included),
     * ending just before that command's first bulk.
     *
     * @param txn 0 outside MULTI, else the transaction's id (a packed HLC, written as 16 hex digits)
     */
    public ByteBuf header(ByteBufAllocator alloc, int clientArgs, int protocol, int db, long hlc, long txn) {
        ByteBuf out = alloc.buffer(160);
        RespCommand.writeHeader(out, '*', clientArgs + HEADER_ARGS);
        out.writeBytes(FCALL_KM_W);
        out.writeBytes(protocol == 3 ? PROTO_3 : PROTO_2);
        String dbText = Integer.toString(db);
        RespCommand.writeHeader(out, '$', dbText.length());
        out.writeCharSequence(dbText, StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
        out.writeBytes(userDatabases);
        out.writeBytes(origin);
        byte[] stamp = new byte[Stamp.HLC_DIGITS + nodeId.length];
        Stamp.writeHlc(hlc, stamp, 0);
        System.arraycopy(nodeId, 0, stamp, Stamp.HLC_DIGITS, nodeId.length);
        writeBulk(out, stamp);
        if (txn == 0) {
            out.writeBytes(NO_TXN);
        } else {
            byte[] id = new byte[Stamp.HLC_DIGITS];
            Stamp.writeHlc(txn, id, 0);
            writeBulk(out, id);
        }
        return out;
    }

    /**
     * A whole {@code FCALL km_w ... KM.TOUCH <key> [<op> <arg>]}: records a key a natively run command
     * changed ({@code args}: the key, then how, see {@link TouchKeys}).
     */
    public ByteBuf touch(ByteBufAllocator alloc, int protocol, int db, long hlc, byte[]... args) {
        ByteBuf out = header(alloc, 1 + args.length, protocol, db, hlc, 0);
        out.writeBytes(TOUCH);
        for (byte[] arg : args) {
            writeBulk(out, arg);
        }
        return out;
    }

    /**
     * {@code FCALL km_w ... KM.XDELIVERED <key> <group> <consumer> <fresh> <noack> <id> ...}: what an
     * {@code XREADGROUP ... BLOCK} that ran natively delivered from one stream ({@link TouchKeys#deliveries}).
     */
    public ByteBuf delivered(ByteBufAllocator alloc, int protocol, int db, long hlc, java.util.List<byte[]> args) {
        ByteBuf out = header(alloc, 1 + args.size(), protocol, db, hlc, 0);
        writeBulk(out, XDELIVERED);
        for (byte[] a : args) {
            writeBulk(out, a);
        }
        return out;
    }

    /** The request {@code frame} with its command name replaced by {@code name}: its prefix, up to the arguments. */
    public static ByteBuf renamedPrefix(ByteBufAllocator alloc, int argc, String name) {
        ByteBuf out = alloc.buffer(32);
        RespCommand.writeHeader(out, '*', argc);
        writeBulk(out, name.getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    /** Index of the command name's bulk header ("$3\r\nSET...") in a multibulk frame: just past its "*argc" line. */
    public static int argumentsStart(ByteBuf buffer, int frameIndex, int frameLength) {
        int lf = buffer.indexOf(frameIndex, frameIndex + frameLength, (byte) '\n');
        if (lf < 0) {
            throw new IllegalArgumentException("not a multibulk frame");
        }
        return lf + 1;
    }

    /** {@code text} as a RESP bulk string. */
    static byte[] bulk(String text) {
        return ("$" + text.length() + "\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code value} as a RESP bulk string. */
    static void writeBulk(ByteBuf out, byte[] value) {
        RespCommand.writeBulk(out, value);
    }
}
