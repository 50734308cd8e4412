package io.keymesh.proxy.route;

import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.proxy.resp.RespRequest;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a blocking write changed when it ran natively (blocking commands cannot run inside a
 * function), read from its request and reply, so that the write path can record it with
 * a touch record afterwards ({@link io.keymesh.storage.apply.ApplyCalls#touch}). A null reply (timeout) changed nothing. A list pop is recorded by the
 * end it took from and how many elements ({@code key LPOP n}), a push by the value it put
 * ({@code key RPUSH value}); anything else by the key's whole state ({@code key}).
 * <pre>
 *   BLPOP BRPOP            reply [key, value]            -> key LPOP|RPOP 1
 *   BLMPOP                 reply [key, [values]]         -> key LPOP|RPOP n (its LEFT|RIGHT)
 *   BLMOVE BRPOPLPUSH      reply element (not null)      -> source LPOP|RPOP 1, destination LPUSH|RPUSH element
 *   BZPOPMIN BZPOPMAX BZMPOP  reply [key, ...]           -> key
 *   XREADGROUP ... BLOCK   reply [[key, entries] ...]    -> per key the IDs delivered (RESP3: a map),
 *                                                          recorded as deliveries ({@link #deliveries})
 * </pre>
 */
final class TouchKeys {
    private static final byte[] LPOP = "LPOP".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RPOP = "RPOP".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LPUSH = "LPUSH".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RPUSH = "RPUSH".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = {'1'};
    private static final byte[] ZERO = {'0'};

    private final String command;
    private final byte[] source;
    private final byte[] destination;
    private final boolean fromLeft;    // the end a list pop takes from
    private final boolean toLeft;      // the end BLMOVE/BRPOPLPUSH pushes to
    /** XREADGROUP: its group, consumer, NOACK, and the keys read with ">" (new entries). */
    private byte[] group;
    private byte[] consumer;
    private boolean noack;
    private final List<byte[]> fresh = new ArrayList<>();

    private TouchKeys(String command, byte[] source, byte[] destination, boolean fromLeft, boolean toLeft) {
        this.command = command;
        this.source = source;
        this.destination = destination;
        this.fromLeft = fromLeft;
        this.toLeft = toLeft;
    }

    /** What to remember of {@code request} (the row name {@code command}) until its reply arrives. */
    static TouchKeys of(String command, RespRequest request) {
        switch (command) {
            case "BRPOPLPUSH":
                if (request.argc() >= 3) {
                    return new TouchKeys(command, request.argBytes(1), request.argBytes(2), false, true);
                }
                break;
            case "BLMOVE":
                if (request.argc() >= 5) {
                    return new TouchKeys(command, request.argBytes(1), request.argBytes(2),
                            request.argEquals(3, "LEFT"), request.argEquals(4, "LEFT"));
                }
                break;
            case "BLPOP":
                return new TouchKeys(command, null, null, true, false);
            case "BLMPOP":
                if (request.argc() >= 4) {
                    try {
                        int numkeys = Integer.parseInt(new String(request.argBytes(2), StandardCharsets.US_ASCII));
                        if (numkeys > 0 && 3 + numkeys < request.argc()) {
                            return new TouchKeys(command, null, null, request.argEquals(3 + numkeys, "LEFT"), false);
                        }
                    } catch (NumberFormatException e) {
                        // Redis answers it with an error, which changes nothing
                    }
                }
                break;
            case "XREADGROUP":
                return xreadgroup(command, request);
            default:
                break;
        }
        return new TouchKeys(command, null, null, false, false);
    }

    private static TouchKeys xreadgroup(String command, RespRequest request) {
        TouchKeys keys = new TouchKeys(command, null, null, false, false);
        if (request.argc() >= 7) {
            keys.group = request.argBytes(2);
            keys.consumer = request.argBytes(3);
            int streams = -1;
            for (int i = 4; i < request.argc() && streams < 0; i++) {
                if (request.argEquals(i, "NOACK")) {
                    keys.noack = true;
                } else if (request.argEquals(i, "STREAMS")) {
                    streams = i;
                }
            }
            int n = streams < 0 ? 0 : (request.argc() - streams - 1) / 2;
            for (int i = 1; i <= n; i++) {
                byte[] id = request.argBytes(streams + n + i);
                if (id.length == 1 && id[0] == '>') {
                    keys.fresh.add(request.argBytes(streams + i));
                }
            }
        }
        return keys;
    }

    /** Whether this is an XREADGROUP, whose reply {@link #deliveries} reads. */
    boolean delivers() {
        return command.equals("XREADGROUP");
    }

    /**
     * What an XREADGROUP delivered, per stream: {@code key group consumer fresh noack id ...}, the
     * arguments of {@link io.keymesh.storage.apply.ApplyCalls#delivered}; empty when it delivered nothing (a timeout).
     */
    List<List<byte[]>> deliveries(ByteBuf reply) {
        List<List<byte[]>> out = new ArrayList<>(1);
        ReplyReader r = new ReplyReader(reply);
        byte type = r.type();
        if (r.isNull() || type == '-' || type == '!') {
            return out;
        }
        boolean map = type == '%';
        long n = r.readAggregate();
        for (long i = 0; i < n; i++) {
            if (!map) {
                r.readAggregate();
            }
            byte[] key = r.readString();
            boolean isFresh = fresh.stream().anyMatch(k -> Arrays.equals(k, key));
            List<byte[]> args = new ArrayList<>(List.of(key, group, consumer, isFresh ? ONE : ZERO, noack ? ONE : ZERO));
            long entries = 0;
            if (r.isNull()) {
                r.skip();
            } else {
                entries = r.readAggregate();
            }
            for (long e = 0; e < entries; e++) {
                long parts = r.readAggregate();
                args.add(r.readString());
                for (long p = 1; p < parts; p++) {
                    r.skip();
                }
            }
            if (args.size() > 5) {
                out.add(args);
            }
        }
        return out;
    }

    /** Whether the command is a list pop, which a function can run without blocking (it then acts like LPOP & co). */
    static boolean listPop(String command) {
        return switch (command) {
            case "BLPOP", "BRPOP", "BLMPOP", "BLMOVE", "BRPOPLPUSH" -> true;
            default -> false;
        };
    }

    /** The touch record's arguments per changed key ({key} or {key, op, arg}), given the reply frame. */
    List<byte[][]> records(ByteBuf reply) {
        List<byte[][]> out = new ArrayList<>(2);
        ReplyReader r = new ReplyReader(reply);
        byte type = r.type();
        if (r.isNull() || type == '-' || type == '!') {
            return out;
        }
        if (source != null) {
            byte[] element = type == '$' ? r.readString() : null;
            if (element == null) {
                out.add(new byte[][] {source});
                if (!Arrays.equals(source, destination)) {
                    out.add(new byte[][] {destination});
                }
                return out;
            }
            out.add(new byte[][] {source, fromLeft ? LPOP : RPOP, one()});
            out.add(new byte[][] {destination, toLeft ? LPUSH : RPUSH, element});
            return out;
        }
        if (type != '*' || r.readAggregate() <= 0) {
            return out;
        }
        byte[] key = r.readString();
        switch (command) {
            case "BLPOP", "BRPOP" -> out.add(new byte[][] {key, command.equals("BLPOP") ? LPOP : RPOP, one()});
            case "BLMPOP" -> {
                long n = r.type() == '*' ? r.readAggregate() : 0;
                out.add(n > 0
                        ? new byte[][] {key, fromLeft ? LPOP : RPOP, Long.toString(n).getBytes(StandardCharsets.US_ASCII)}
                        : new byte[][] {key});
            }
            default -> out.add(new byte[][] {key});
        }
        return out;
    }

    private static byte[] one() {
        return ONE.clone();
    }
}
