package io.keymesh.storage.apply;

import java.util.ArrayList;
import java.util.List;

/**
 * The apply library's snapshot calls as argument lists: reading a key with its metadata on the
 * sender, merging a key, a flush epoch or a function library on the receiver, and reading the
 * node-state hashes a snapshot carries (the last two with db 2N selected).
 */
public final class SnapshotCalls {
    private SnapshotCalls() {
    }

    /** A key's value and metadata as snapshot items (an empty list when it has neither). */
    public static List<Object> dumpKey(String userDatabases, int db, byte[] key) {
        return List.of("FCALL", "km_dumpkey", "0", userDatabases, Integer.toString(db), key);
    }

    /** Merges one key with its {@code items} (as {@link #dumpKey} gave them) by the merge rules. */
    public static List<Object> mergeKey(String userDatabases, int db, byte[] key, List<byte[]> items) {
        List<Object> args = new ArrayList<>(6 + items.size());
        args.add("FCALL");
        args.add("km_mergekey");
        args.add("0");
        args.add(userDatabases);
        args.add(Integer.toString(db));
        args.add(key);
        args.addAll(items);
        return args;
    }

    /**
     * Merges user db {@code db}'s flush epoch {@code stamp}: a FLUSHDB at that stamp when later than
     * ours; may ask for a flush scan first ({@link ReplicationLog#scanRequest}).
     */
    public static List<String> mergeFlush(String userDatabases, int db, String stamp) {
        return List.of("FCALL", "km_mergeflush", "0", userDatabases, Integer.toString(db), stamp);
    }

    /** Merges function library {@code name}'s {@code record}, kept when its stamp is later than ours. */
    public static List<String> mergeLibrary(String userDatabases, String name, String record) {
        return List.of("FCALL", "km_mergelib", "0", userDatabases, name, record);
    }

    /** The flush epochs: user db, stamp, ... */
    public static List<String> readFlushEpochs() {
        return List.of("HGETALL", StateKeys.FLUSH_EPOCHS);
    }

    /** The recorded function libraries: name, "stamp code" or "stamp" once deleted, ... */
    public static List<String> readLibraries() {
        return ApplyCalls.readLibraries();
    }
}
