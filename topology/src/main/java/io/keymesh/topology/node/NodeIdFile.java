package io.keymesh.topology.node;

import io.keymesh.topology.wire.NodeIds;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/** A node's stable id: 8 lower-case hex characters, generated once and kept in {@code <data-dir>/node-id}. */
public final class NodeIdFile {
    private NodeIdFile() {
    }

    /** Reads the id from {@code dataDir}, creating it first when missing. */
    public static String loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve("node-id");
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!NodeIds.valid(id)) {
                throw new IOException(file + " does not hold a node id (8 lower-case hex characters): '" + id + "'");
            }
            return id;
        }
        Files.createDirectories(dataDir);
        String id = String.format("%08x", new SecureRandom().nextInt());
        Path tmp = dataDir.resolve("node-id.tmp");
        Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return id;
    }
}
