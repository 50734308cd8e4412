package io.keymesh.storage.apply;

import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The requests of the client write path that call the apply library, as RESP bytes: the one place
 * outside the library that spells their function names and argument layouts
 * (docs/design/replication.md, "Local write").
 *
 * <ul>
 *   <li>{@link #header}: {@code FCALL km_w 0 <proto> <db> <N> <origin> <stamp> <txn>}, which goes in
 *       front of a client's command and its arguments as the client sent them (callers send the
 *       header, then the client's bytes, on the same link: nothing is copied here);</li>
 *   <li>{@link #touch} and {@link #delivered}: whole km_w calls recording what a command that ran
 *       natively changed ({@code KM.TOUCH}, {@code KM.XDELIVERED});</li>
 *   <li>{@link #setsStart}: the start of {@code FCALL km_ws 0 <N> <origin> <db> {<stamp> <packed
 *       stamp> <key> <value>} ...}, several clients' plain SETs in one call;</li>
 *   <li>{@link #runStart}: the start of {@code FCALL km_wr 0 <N> <origin> <db> {<stamp> <argc> <command>
 *       [args...]} ...}, several clients' write commands in one call;</li>
 *   <li>{@link #positionRequest}: reads this node's own log position ({@code KEYMESH POS});</li>
 *   <li>the housekeeping's calls, as argument lists: {@link #mark}, {@link #gcStep}, and reads of
 *       the state keys ({@link ReplicationLog#readPositions}, {@link #readFlushCounts}, {@link #readLibraries},
 *       {@link #readLibraryVersion}), each with the node-state database (2N) selected.</li>
 * </ul>
 * A stamp is 16 lower-case hex digits of the HLC, then the node id; a transaction id is the 16 hex
 * digits of a packed HLC, or 0 outside MULTI. The links' calls are in {@link ReplicationLog} and
 * {@link SnapshotCalls}.
 */
public final class ApplyCalls {
    /** Arguments km_w takes before the client's command: FCALL km_w 0 proto db N origin stamp txn. */
    public static final int HEADER_ARGS = 9;
    /** Arguments km_ws takes before its SETs: FCALL km_ws 0 N origin db; then four per SET. */
    public static final int SETS_HEADER_ARGS = 6;
    /** Arguments km_wr takes before its commands: FCALL km_wr 0 N origin db; then per command its stamp, argc and bulks. */
    public static final int RUN_HEADER_ARGS = 6;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final int HLC_DIGITS = 16;
    private static final byte[] FCALL_KM_W = bulks("FCALL", "km_w", "0");
    private static final byte[] FCALL_KM_WS = bulks("FCALL", "km_ws", "0");
    private static final byte[] FCALL_KM_WR = bulks("FCALL", "km_wr", "0");
    private static final byte[] PROTO_2 = bulks("2");
    private static final byte[] PROTO_3 = bulks("3");
    private static final byte[] NO_TXN = bulks("0");
    private static final byte[] HEX_BULK = ("$" + HLC_DIGITS + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOUCH = bulks("KM.TOUCH");
    private static final byte[] XDELIVERED = bulks("KM.XDELIVERED");
    /** Reads km:pos[node] in the log database given as ARGV[1]; answers {node, position}. */
    private static final String POSITION_SCRIPT = "redis.call('SELECT', ARGV[1]) "
            + "local v = redis.call('HGET', 'km:pos', ARGV[2]) return {ARGV[2], tonumber(v or '0')}";

    private final byte[] userDatabases;   // "$<len>\r\n<N>\r\n"
    private final byte[] origin;          // "$8\r\n<node id>\r\n"
    private final byte[] stampBulk;       // "$<16 + id length>\r\n"
    private final byte[] nodeId;

    /** The calls of node {@code nodeId} (8 lower-case hex digits) with {@code userDatabases} user databases. */
    public ApplyCalls(String nodeId, int userDatabases) {
        this.nodeId = nodeId.getBytes(StandardCharsets.US_ASCII);
        this.userDatabases = bulks(Integer.toString(userDatabases));
        this.origin = bulks(nodeId);
        this.stampBulk = ("$" + (HLC_DIGITS + nodeId.length()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The km_w header for a client command of {@code clientArgs} arguments (its name included),
     * ending just before that command's first bulk.
     *
     * @param protocol the backend connection's protocol, 2 or 3
     * @param db the user db the connection has SELECTed
     * @param hlc the write's HLC (its stamp is this node's)
     * @param txn 0 outside MULTI, else the transaction's id (a packed HLC)
     */
    public ByteBuf header(ByteBufAllocator alloc, int clientArgs, int protocol, int db, long hlc, long txn) {
        ByteBuf out = alloc.buffer(160);
        RespCommand.writeHeader(out, '*', clientArgs + HEADER_ARGS);
        out.writeBytes(FCALL_KM_W);
        out.writeBytes(protocol == 3 ? PROTO_3 : PROTO_2);
        writeDecimalBulk(out, db);
        out.writeBytes(userDatabases);
        out.writeBytes(origin);
        out.writeBytes(stampBulk);
        writeHex(out, hlc);
        out.writeBytes(nodeId);
        out.writeBytes(CRLF);
        if (txn == 0) {
            out.writeBytes(NO_TXN);
        } else {
            out.writeBytes(HEX_BULK);
            writeHex(out, txn);
            out.writeBytes(CRLF);
        }
        return out;
    }

    /**
     * A whole {@code FCALL km_w ... KM.TOUCH <key> [<op> <arg>]}: records a key a natively run command
     * changed ({@code args}: the key, then how: {@code LPOP n}, {@code RPUSH value} ..., or nothing
     * for the key's whole state).
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
     * {@code XREADGROUP ... BLOCK} that ran natively delivered from one stream.
     */
    public ByteBuf delivered(ByteBufAllocator alloc, int protocol, int db, long hlc, List<byte[]> args) {
        ByteBuf out = header(alloc, 1 + args.size(), protocol, db, hlc, 0);
        out.writeBytes(XDELIVERED);
        for (byte[] a : args) {
            writeBulk(out, a);
        }
        return out;
    }

    /**
     * The N and origin bulks every km_ws call of this node starts its arguments with (after the
     * function name), for a caller that keeps them with its runs.
     */
    public byte[] setsFixedHead() {
        byte[] head = java.util.Arrays.copyOf(userDatabases, userDatabases.length + origin.length);
        System.arraycopy(origin, 0, head, userDatabases.length, origin.length);
        return head;
    }

    /** The db bulk that follows {@link #setsFixedHead()} in a km_ws call. */
    public static byte[] setsDb(int db) {
        return bulks(Integer.toString(db));
    }

    /**
     * The start of a km_ws call of {@code sets} SETs: {@code *<6+4n> FCALL km_ws 0} followed by
     * {@code head} (the fixed head and the db bulk); the SETs follow as four bulks each.
     */
    public static ByteBuf setsStart(ByteBufAllocator alloc, int sets, ByteBuf head) {
        ByteBuf start = alloc.buffer(16 + FCALL_KM_WS.length + head.readableBytes());
        RespCommand.writeHeader(start, '*', SETS_HEADER_ARGS + 4L * sets);
        start.writeBytes(FCALL_KM_WS);
        start.writeBytes(head, head.readerIndex(), head.readableBytes());
        return start;
    }

    /**
     * The start of a km_wr call of {@code args} arguments after its header (per command: stamp, argc,
     * then the command's bulks): {@code *<6+args> FCALL km_wr 0} followed by {@code head} (the
     * fixed head and the db bulk, as for km_ws).
     */
    public static ByteBuf runStart(ByteBufAllocator alloc, int args, ByteBuf head) {
        ByteBuf start = alloc.buffer(16 + FCALL_KM_WR.length + head.readableBytes());
        RespCommand.writeHeader(start, '*', RUN_HEADER_ARGS + (long) args);
        start.writeBytes(FCALL_KM_WR);
        start.writeBytes(head, head.readerIndex(), head.readableBytes());
        return start;
    }

    /** Writes {@code value} (0 or more) as a RESP bulk string of its decimal digits. */
    public static void writeCountBulk(ByteBuf out, int value) {
        writeDecimalBulk(out, value);
    }

    /**
     * {@code KEYMESH POS}: a read-only script that answers {@code [node, position]}, this node's own
     * log position in the node-state database {@code 2N}; it runs after every earlier request on
     * its link.
     */
    public static ByteBuf positionRequest(int userDatabases, String nodeId) {
        return RespCommand.encode("EVAL_RO", POSITION_SCRIPT, "0", Integer.toString(2 * userDatabases), nodeId);
    }

    /** {@code HGETALL} of the remote flushes' counts per way. */
    public static List<String> readFlushCounts() {
        return List.of("HGETALL", StateKeys.FLUSH_COUNTS);
    }

    /** {@code HGETALL} of the recorded function libraries. */
    public static List<String> readLibraries() {
        return List.of("HGETALL", StateKeys.LIBRARIES);
    }

    /** {@code GET} of the recorded libraries' change count (nil before the first change). */
    public static List<String> readLibraryVersion() {
        return List.of("GET", StateKeys.LIBRARY_VERSION);
    }

    /**
     * km_mark: records {@code positions} (origin, sequence, ... as {@link ReplicationLog#readPositions} answered)
     * against {@code reading}, 16 hex digits of the clock read after them.
     */
    public static List<Object> mark(int userDatabases, String reading, List<?> positions) {
        List<Object> args = new java.util.ArrayList<>(5 + positions.size());
        args.add("FCALL");
        args.add("km_mark");
        args.add("0");
        args.add(Integer.toString(userDatabases));
        args.add(reading);
        args.addAll(positions);
        return args;
    }

    /**
     * km_gc: one step of tombstone collection over user db {@code db} from {@code cursor}, at most
     * {@code count} metadata keys, dropping tombstones older than {@code cutoffStamp}; answers the
     * next cursor ("0" when the db is done), the count dropped, then the keys skipped because their
     * metadata cannot be read.
     */
    public static List<String> gcStep(int userDatabases, String cutoffStamp, int db, String cursor, int count) {
        return List.of("FCALL", "km_gc", "0", Integer.toString(userDatabases), cutoffStamp, Integer.toString(db), cursor,
                Integer.toString(count));
    }

    /** Writes {@code value} as a RESP bulk string. */
    public static void writeBulk(ByteBuf out, byte[] value) {
        RespCommand.writeBulk(out, value);
    }

    private static void writeDecimalBulk(ByteBuf out, int value) {
        if (value >= 0 && value < 10) {
            out.writeByte('$');
            out.writeByte('1');
            out.writeBytes(CRLF);
            out.writeByte('0' + value);
            out.writeBytes(CRLF);
            return;
        }
        RespCommand.writeBulk(out, Integer.toString(value).getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeHex(ByteBuf out, long value) {
        for (int shift = 4 * (HLC_DIGITS - 1); shift >= 0; shift -= 4) {
            out.writeByte(HEX[(int) ((value >>> shift) & 0xf)]);
        }
    }

    private static byte[] bulks(String... args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
