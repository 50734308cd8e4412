package io.keymesh.proxy.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;

/**
 * A node's identity: 8 lower-case hex characters, written into every timestamp the node issues and
 * naming its replication log. Generated once and kept in {@code <data-dir>/node-id}.
 */
public record NodeId(String value) {
    /** The file in the data directory that keeps a generated id. */
    public static final String FILE_NAME = "node-id";
    public static final int LENGTH = 8;

    public NodeId {
        if (!isValid(value)) {
            throw new IllegalArgumentException("a node id is 8 lower-case hex characters, got \"" + value + "\"");
        }
    }

    /** True for exactly 8 characters of 0-9 a-f. */
    public static boolean isValid(String value) {
        if (value == null || value.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** A fresh random id. */
    public static NodeId random() {
        byte[] bytes = new byte[LENGTH / 2];
        new SecureRandom().nextBytes(bytes);
        StringBuilder hex = new StringBuilder(LENGTH);
        for (byte b : bytes) {
            hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return new NodeId(hex.toString());
    }

    /**
     * The node's id: {@code configured} when not empty, else the one kept in {@code dataDir}, else a new
     * one, written there (atomically) before it is returned so that it never changes afterwards.
     */
    public static NodeId resolve(String configured, Path dataDir) {
        if (configured != null && !configured.isEmpty()) {
            return new NodeId(configured);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (Files.exists(file)) {
                String kept = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!isValid(kept)) {
                    throw new IllegalStateException(file + " holds \"" + kept + "\", not a node id (8 lower-case hex"
                            + " characters); fix or remove it (removing it makes this node a new node to its peers)");
                }
                return new NodeId(kept);
            }
            NodeId fresh = random();
            Files.createDirectories(dataDir);
            Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
            Files.writeString(tmp, fresh.value() + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return fresh;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the node id in " + file, e);
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
