package io.keymesh.topology.node;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.wire.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the redis-server's own function libraries equal to those the apply library records
 * ({@link ApplyCalls#readLibraries}, db 2N: library name to {@code "<stamp> <code>"}, or
 * {@code "<stamp>"} once deleted; {@link ApplyCalls#readLibraryVersion} counts changes): a library a
 * peer loaded or deleted, which this node recorded when it applied the peer's log, is loaded or
 * deleted natively here, so FUNCTION LIST, DUMP and STATS show it (FCALL already runs it from the
 * record). Run by the housekeeping; it reads the change count only, unless that changed. The keymesh library itself is never touched.
 */
final class FunctionSync {
    private static final Logger log = LoggerFactory.getLogger(FunctionSync.class);
    private static final String OWN_LIBRARY = "keymesh";

    private String seenVersion;

    /** One round on {@code conn} (db 2N selected). */
    void run(BackendClient conn) throws IOException {
        Object version = conn.ok(ApplyCalls.readLibraryVersion());
        String ver = version == null ? "0" : text(version);
        if (ver.equals(seenVersion)) {
            return;
        }
        Map<String, String> loaded = loaded(conn);
        List<?> flat = (List<?>) conn.ok(ApplyCalls.readLibraries());
        boolean complete = true;
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String name = text(flat.get(i));
            String recorded = text(flat.get(i + 1));
            int space = recorded.indexOf(' ');
            if (name.equals(OWN_LIBRARY)) {
                continue;
            }
            Object reply = null;
            if (space >= 0) {
                String code = recorded.substring(space + 1);
                if (!code.equals(loaded.get(name))) {
                    reply = conn.call("FUNCTION", "LOAD", "REPLACE", code);
                }
            } else if (loaded.containsKey(name)) {
                reply = conn.call("FUNCTION", "DELETE", name);
            }
            if (reply instanceof RespError e) {
                complete = false;
                log.warn("function library {} recorded by the mesh could not be {} natively: {}", name,
                        space >= 0 ? "loaded" : "deleted", e.message());
            }
        }
        if (complete) {
            seenVersion = ver;
        }
    }

    /** The libraries the redis-server has loaded: name to code. */
    private static Map<String, String> loaded(BackendClient conn) throws IOException {
        Map<String, String> libraries = new HashMap<>();
        for (Object library : (List<?>) conn.ok(List.of("FUNCTION", "LIST", "WITHCODE"))) {
            List<?> fields = (List<?>) library;
            String name = null;
            String code = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                switch (text(fields.get(i))) {
                    case "library_name" -> name = text(fields.get(i + 1));
                    case "library_code" -> code = text(fields.get(i + 1));
                    default -> { }
                }
            }
            if (name != null) {
                libraries.put(name, code);
            }
        }
        return libraries;
    }

    private static String text(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }
}
