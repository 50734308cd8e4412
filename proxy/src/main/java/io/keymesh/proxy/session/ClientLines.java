package io.keymesh.proxy.session;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIENT LIST and CLIENT INFO lines: every field Redis 7.0 writes, in its order. keymesh knows the
 * connection (id, addresses, fd, name, age, idle, db, output, last command, user, protocol); for a
 * session with a backend link of its own, what Redis keeps on that link (blocked, tracking,
 * subscriptions, queued MULTI commands) comes from the redis-server's CLIENT LIST line of that link.
 * Query and memory fields keymesh has no equivalent for are 0.
 */
final class ClientLines {
    /** The fields taken from the session's own link's line when there is one. */
    private static final List<String> FROM_LINK = List.of("sub", "psub", "ssub", "multi", "multi-mem");

    private ClientLines() {
    }

    /** One line for {@code c}; {@code link} is its own link's fields in the redis-server's CLIENT LIST, or null. */
    static String line(ClientSession c, Map<String, String> link) {
        long now = c.time().wallMillis();
        long pending = c.pendingOutputBytes();
        int fd = c.channel() instanceof io.netty.channel.unix.UnixChannel unix ? unix.fd().intValue() : -1;
        Map<String, String> known = new HashMap<>();
        known.put("sub", "0");
        known.put("psub", "0");
        known.put("ssub", "0");
        known.put("multi", Integer.toString(c.queuedInMulti()));
        known.put("multi-mem", "0");
        if (link != null) {
            for (String field : FROM_LINK) {
                String value = link.get(field);
                if (value != null) {
                    known.put(field, value);
                }
            }
        }
        return "id=" + c.id() + " addr=" + c.remoteAddress() + " laddr=" + c.localAddress() + " fd=" + fd
                + " name=" + c.name() + " age=" + (now - c.createdMillis()) / 1000
                + " idle=" + (now - c.lastActiveMillis()) / 1000
                + " flags=" + flags(c, link == null ? null : link.get("flags")) + " db=" + c.db()
                + " sub=" + known.get("sub") + " psub=" + known.get("psub") + " ssub=" + known.get("ssub")
                + " multi=" + known.get("multi")
                + " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=" + known.get("multi-mem")
                + " rbs=0 rbp=0 obl=0 oll=0 omem=" + pending
                + " tot-mem=0 events=" + (pending > 0 ? "rw" : "r") + " cmd=" + c.lastCommand() + " user=" + c.user()
                + " redir=-1 resp=" + c.protocol() + "\n";
    }

    /**
     * Redis' flags for the session: O (monitor) from keymesh; b (blocked), t (tracking), P, x and the
     * others Redis sets on the session's own link from that link's line; else P and x as keymesh
     * knows them; N when none applies.
     */
    private static String flags(ClientSession c, String linkFlags) {
        StringBuilder flags = new StringBuilder();
        if (c.monitoring()) {
            flags.append('O');
        }
        if (linkFlags != null) {
            for (char f : linkFlags.toCharArray()) {
                // U: keymesh's link is a unix socket, which says nothing of the client
                if (f != 'N' && f != 'U' && flags.indexOf(String.valueOf(f)) < 0) {
                    flags.append(f);
                }
            }
        } else {
            flags.append(c.subscribed() ? "P" : "").append(c.inMulti() ? "x" : "");
        }
        return flags.length() == 0 ? "N" : flags.toString();
    }

    /** The redis-server's CLIENT LIST text as id -> field -> value. */
    static Map<Long, Map<String, String>> parse(String text) {
        Map<Long, Map<String, String>> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Map<String, String> fields = new HashMap<>();
            for (String pair : line.trim().split(" ")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    fields.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
            }
            String id = fields.get("id");
            if (id != null) {
                try {
                    out.put(Long.parseLong(id), fields);
                } catch (NumberFormatException e) {
                    // not a client line: ignored
                }
            }
        }
        return out;
    }
}
