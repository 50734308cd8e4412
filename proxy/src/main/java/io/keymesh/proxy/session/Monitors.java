package io.keymesh.proxy.session;

import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.storage.time.TimeSource;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node's MONITOR sessions and the feed of its clients' commands to them, one line per command
 * in Redis' format: {@code +<unix time>.<microseconds> [<db> <client addr>] "<cmd>" "<arg>" ...}
 * with Redis' escaping. While nobody monitors, a request costs one volatile read ({@link #any}).
 * Each line is written on the monitoring session's own event loop; a monitor that does not read
 * is closed by its output buffer limit (client-output-buffer-limit.replica, as Redis counts monitors).
 */
public final class Monitors {
    private final TimeSource time;

    /** Monitors whose lines carry {@code time}'s wall clock. */
    Monitors(TimeSource time) {
        this.time = time;
    }

    /**
     * Commands Redis does not show to monitors (its admin commands); keymesh's own table has no such
     * flag, so they are listed here.
     */
    static final Set<String> NOT_SHOWN = Set.of(
            "ACL|DELUSER", "ACL|DRYRUN", "ACL|GETUSER", "ACL|LIST", "ACL|LOAD", "ACL|LOG", "ACL|SAVE", "ACL|SETUSER",
            "ACL|USERS", "BGREWRITEAOF", "BGSAVE", "CONFIG|GET", "CONFIG|SET", "CONFIG|RESETSTAT", "CONFIG|REWRITE",
            "DEBUG", "FAILOVER", "MODULE|LIST", "MODULE|LOAD", "MODULE|LOADEX", "MODULE|UNLOAD", "MONITOR", "PSYNC",
            "REPLCONF", "REPLICAOF", "SAVE", "SHUTDOWN", "SLAVEOF", "SYNC", "CLIENT|KILL", "CLIENT|LIST",
            "CLIENT|PAUSE", "CLIENT|UNPAUSE", "CLIENT|UNBLOCK", "CLIENT|NO-EVICT", "LATENCY|DOCTOR", "LATENCY|GRAPH",
            "LATENCY|HISTOGRAM", "LATENCY|HISTORY", "LATENCY|LATEST", "LATENCY|RESET", "SLOWLOG|GET", "SLOWLOG|LEN",
            "SLOWLOG|RESET");

    private final CopyOnWriteArrayList<ClientSession> sessions = new CopyOnWriteArrayList<>();
    private volatile boolean any;

    /** True while at least one session monitors. */
    public boolean any() {
        return any;
    }

    /** True when {@code s} is a monitor. */
    public boolean contains(ClientSession s) {
        return any && sessions.contains(s);
    }

    void add(ClientSession s) {
        sessions.addIfAbsent(s);
        any = true;
    }

    /** Ends monitoring for {@code s} (RESET, close); nothing when it does not monitor. */
    public void remove(ClientSession s) {
        if (any && sessions.remove(s)) {
            any = !sessions.isEmpty();
        }
    }

    /** True when Redis would show a command of this row to monitors. */
    public static boolean shown(CommandSpec spec) {
        return spec != null && !NOT_SHOWN.contains(spec.name());
    }

    /**
     * The part of a request's MONITOR line known before it runs: the time it arrived and its
     * arguments, escaped; the database is added by {@link Line#feed} once the command ran (a SELECT
     * shows its new database, as in Redis).
     */
    public Line capture(ClientSession from, RespRequest r, CommandSpec spec) {
        long micros = time.wallMillis() * 1000;
        StringBuilder args = new StringBuilder(64);
        boolean auth = spec.name().equals("AUTH");
        boolean hello = spec.name().equals("HELLO");
        int redactFrom = Integer.MAX_VALUE;
        int redactTo = -1;
        for (int i = 0; i < r.argc(); i++) {
            if (hello && i > 0 && r.argEquals(i, "AUTH")) {
                redactFrom = i + 1;
                redactTo = i + 2;
            }
            args.append(" \"");
            if (auth && i > 0 || i >= redactFrom && i <= redactTo) {
                args.append("(redacted)");
            } else {
                escape(r.argBytes(i), args);
            }
            args.append('"');
        }
        return new Line(micros, from.remoteAddress(), args.toString());
    }

    /** Redis' escaping of a MONITOR argument (sdscatrepr): quotes, backslashes, controls and non-ASCII bytes. */
    static void escape(byte[] value, StringBuilder out) {
        for (byte b : value) {
            int c = b & 0xff;
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                default -> {
                    if (c >= 0x20 && c <= 0x7e) {
                        out.append((char) c);
                    } else {
                        out.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    }
                }
            }
        }
    }

    /** One captured request, waiting for its database. */
    public final class Line {
        private final long micros;
        private final String addr;
        private final String args;

        Line(long micros, String addr, String args) {
            this.micros = micros;
            this.addr = addr;
            this.args = args;
        }

        /** Sends the line, with database {@code db}, to every monitor. */
        public void feed(int db) {
            String text = "+" + micros / 1_000_000 + "." + String.format("%06d", micros % 1_000_000)
                    + " [" + db + " " + addr + "]" + args + "\r\n";
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            for (ClientSession m : sessions) {
                m.channel().eventLoop().execute(() -> m.deliverMonitorLine(bytes));
            }
        }
    }
}
