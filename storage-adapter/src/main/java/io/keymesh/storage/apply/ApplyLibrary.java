package io.keymesh.storage.apply;

import io.keymesh.storage.merge.LibraryFacts;
import io.lettuce.core.api.sync.RedisCommands;
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
 *   <li>{@link #load(RedisCommands)}: {@code FUNCTION LOAD REPLACE} over a Lettuce connection, at
 *       start and after every backend restart.
 *   <li>the requests that call it on the client write path: {@link ApplyCalls}.
 * </ul>
 */
public final class ApplyLibrary {

    /** The resources concatenated, in order, into the library text. */
    static final String[] PARTS = {"core.lua", "write.lua", "stream.lua", "script.lua", "remote.lua"};
    private static final String VERSION_MARK = "@VERSION@";

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
