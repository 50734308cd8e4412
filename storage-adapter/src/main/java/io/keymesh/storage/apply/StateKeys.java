package io.keymesh.storage.apply;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The names of the keys the apply library keeps in the node-state database (db 2N): the position
 * vector, the logs, the flush epochs and their bookkeeping, the recorded function libraries. Clients cannot select that database,
 * but Redis' client-side caching is not per database: a client tracking in broadcast mode is told
 * about every key changed in any database, so these names must be taken out of the invalidations
 * it receives. Metadata keys (db N+i) carry the user key's own name and need no filtering.
 *
 * <p>The list is checked against the library's Lua sources by {@code StateKeysTest}: a new state key
 * must be added here.
 */
public final class StateKeys {
    /** The position vector: origin -> the highest sequence of its log held here. */
    public static final String POSITIONS = "km:pos";
    /** How many remote flushes took each way (logged, ahead, scanned, scanned:why). */
    public static final String FLUSH_COUNTS = "km:flushes";
    /** The recorded function libraries: name -> "stamp code", or "stamp" once deleted. */
    public static final String LIBRARIES = "km:libs";
    /** Counts changes of {@link #LIBRARIES}. */
    public static final String LIBRARY_VERSION = "km:libver";
    /** Whole names of state keys. */
    static final String[] NAMES = {POSITIONS, "km:marks", "km:epoch", FLUSH_COUNTS, "km:snapmax", "km:snapcount", LIBRARIES,
        LIBRARY_VERSION};
    /** Prefixes of state keys named per origin or per scan ({@code km:log:<origin>}, {@code km:fscan:<db>:<t>}). */
    static final String[] PREFIXES = {"km:log:", "km:fscan:"};

    private static final byte[][] NAME_BYTES = bytes(NAMES);
    private static final byte[][] PREFIX_BYTES = bytes(PREFIXES);

    private StateKeys() {
    }

    /** True when {@code length} bytes of {@code buffer} at {@code index} are the name of a state key. */
    public static boolean isStateKey(ByteBuf buffer, int index, int length) {
        if (length < 6 || buffer.getByte(index) != 'k' || buffer.getByte(index + 1) != 'm'
                || buffer.getByte(index + 2) != ':') {
            return false;
        }
        for (byte[] name : NAME_BYTES) {
            if (name.length == length && matches(buffer, index, name)) {
                return true;
            }
        }
        for (byte[] prefix : PREFIX_BYTES) {
            if (prefix.length < length && matches(buffer, index, prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(ByteBuf buffer, int index, byte[] expected) {
        for (int i = 3; i < expected.length; i++) {
            if (buffer.getByte(index + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[][] bytes(String[] names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }
}
