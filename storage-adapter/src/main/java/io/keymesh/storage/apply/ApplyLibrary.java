package io.keymesh.storage.apply;

import io.keymesh.storage.merge.LibraryFacts;
import io.lettuce.core.api.sync.RedisCommands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The keymesh Redis Functions library (Lua, {@code #!lua name=keymesh}) that applies every write
 * atomically inside the local redis-server: the data change, the key's merge metadata and the
 * replication log entry. The functions and their arguments are the contracts in
 * docs/design/replication.md; the merge semantics are in docs/design/merge.md.
 *
 * <ul>
 *   <li>{@link #source()}: the library text: the classpath resources core.lua, then the command facts
 *       generated from the merge rules ({@link LibraryFacts}), then write.lua, stream.lua, script.lua, remote.lua.
 *   <li>{@link #version()}: 12 hex digits identifying the text; {@code FCALL km_version 0} returns
 *       the version of the library loaded in a server.
 *   <li>{@link #load(RedisCommands)}: {@code FUNCTION LOAD REPLACE} over a Lettuce connection;
 *       {@link #loadCommand()}: the same request as raw RESP bytes for a raw backend link. Call
 *       one of them at start and after every backend restart.
 *   <li>{@link #encodeLocalWrite}: builds {@code FCALL km_w 0 <proto> <db> <N> <origin> <stamp>
 *       <txn> <command> [args...]} from the client's own argument bytes in one buffer.
 * </ul>
 */
public final class ApplyLibrary {

    /** The resources concatenated, in order, into the library text. */
    static final String[] PARTS = {"core.lua", "write.lua", "stream.lua", "script.lua", "remote.lua"};
    private static final String VERSION_MARK = "@VERSION@";
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] FCALL_KM_W = bulkArgs("FCALL", "km_w", "0");

    private static final String SOURCE;
    private static final String VERSION;

    static {
        StringBuilder text = new StringBuilder();
        for (String part : PARTS) {
            text.append(readResource(part)).append('\n');
            if (part.equals(PARTS[0])) {
                text.append(LibraryFacts.source());
            }
        }
        VERSION = sha1Hex(text.toString()).substring(0, 12);
        SOURCE = text.toString().replace(VERSION_MARK, VERSION);
    }

    private ApplyLibrary() {
    }

    /** The library text, ready for FUNCTION LOAD. */
    public static String source() {
        return SOURCE;
    }

    /** 12 hex digits naming this library text; equals what {@code FCALL km_version 0} returns once loaded. */
    public static String version() {
        return VERSION;
    }

    /** Loads (replacing) the library over a Lettuce connection; returns the library name. */
    public static String load(RedisCommands<String, String> redis) {
        return redis.functionLoad(SOURCE, true);
    }

    /** {@code FUNCTION LOAD REPLACE <source>} as RESP bytes, for a raw backend link. */
    public static byte[] loadCommand() {
        byte[] src = SOURCE.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("*4\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$7\r\nREPLACE\r\n$" + src.length + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + src.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(src, 0, out, head.length, src.length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    /**
     * Builds the km_w request for one client write.
     *
     * @param alloc allocator for the one buffer returned
     * @param proto the backend connection's protocol, 2 or 3
     * @param db the user db the connection has SELECTed
     * @param databases N, the number of user databases
     * @param origin this node's 8-hex-digit id
     * @param stamp the write's stamp (HLC hex followed by the origin id)
     * @param txn 0 outside MULTI, else the transaction's id
     * @param argc the number of arguments of the client's command, its name included
     * @param args the client's arguments exactly as received, each {@code $<len>\r\n<bytes>\r\n}
     *     (the request without its {@code *<argc>\r\n} header); read from its readerIndex, not
     *     consumed
     * @return {@code *<9+argc>} FCALL km_w 0 ... followed by a copy of {@code args}
     */
    public static ByteBuf encodeLocalWrite(ByteBufAllocator alloc, int proto, int db, int databases,
            String origin, String stamp, long txn, int argc, ByteBuf args) {
        String dbText = Integer.toString(db);
        String nText = Integer.toString(databases);
        String txnText = Long.toString(txn);
        int header = 1 + digits(9 + argc) + 2;
        int size = header + FCALL_KM_W.length + bulkSize(1) + bulkSize(dbText.length())
                + bulkSize(nText.length()) + bulkSize(origin.length()) + bulkSize(stamp.length())
                + bulkSize(txnText.length()) + args.readableBytes();
        ByteBuf out = alloc.buffer(size);
        out.writeByte('*');
        writeAscii(out, Integer.toString(9 + argc));
        out.writeBytes(CRLF);
        out.writeBytes(FCALL_KM_W);
        writeBulk(out, proto == 3 ? "3" : "2");
        writeBulk(out, dbText);
        writeBulk(out, nText);
        writeBulk(out, origin);
        writeBulk(out, stamp);
        writeBulk(out, txnText);
        out.writeBytes(args, args.readerIndex(), args.readableBytes());
        return out;
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }

    private static int bulkSize(int len) {
        return 1 + digits(len) + 2 + len + 2;
    }

    private static void writeBulk(ByteBuf out, String ascii) {
        out.writeByte('$');
        writeAscii(out, Integer.toString(ascii.length()));
        out.writeBytes(CRLF);
        writeAscii(out, ascii);
        out.writeBytes(CRLF);
    }

    private static void writeAscii(ByteBuf out, String s) {
        out.writeCharSequence(s, StandardCharsets.US_ASCII);
    }

    private static byte[] bulkArgs(String... args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static String readResource(String name) {
        try (InputStream in = ApplyLibrary.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("apply library resource missing from the classpath: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1Hex(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
