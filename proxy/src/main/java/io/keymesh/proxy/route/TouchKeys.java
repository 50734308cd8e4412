package io.keymesh.proxy.route;

import io.keymesh.proxy.resp.RespRequest;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys a blocking write changed when it ran natively (blocking commands cannot run inside a
 * function), read from its request and reply, so that the write path can record them with
 * {@code KM.TOUCH} afterwards. A null reply (timeout) changed nothing.
 * <pre>
 *   BLPOP BRPOP BZPOPMIN BZPOPMAX BLMPOP BZMPOP  reply [key, ...]            -> key
 *   BLMOVE BRPOPLPUSH                            reply element (not null)    -> source and destination
 *   XREADGROUP ... BLOCK                         reply [[key, entries] ...]  -> per key the IDs delivered
 *                                                (RESP3: a map), recorded with KM.XDELIVERED
 * </pre>
 */
final class TouchKeys {
    private static final byte[] ONE = {'1'};
    private static final byte[] ZERO = {'0'};

    private final String command;
    private final byte[] source;
    private final byte[] destination;
    /** XREADGROUP: its group, consumer, NOACK, and the keys read with ">" (new entries). */
    private byte[] group;
    private byte[] consumer;
    private boolean noack;
    private final List<byte[]> fresh = new ArrayList<>();

    private TouchKeys(String command, byte[] source, byte[] destination) {
        this.command = command;
        this.source = source;
        this.destination = destination;
    }

    /** What to remember of {@code request} (the row name {@code command}) until its reply arrives. */
    static TouchKeys of(String command, RespRequest request) {
        if ((command.equals("BLMOVE") || command.equals("BRPOPLPUSH")) && request.argc() >= 3) {
            return new TouchKeys(command, request.argBytes(1), request.argBytes(2));
        }
        TouchKeys keys = new TouchKeys(command, null, null);
        if (command.equals("XREADGROUP") && request.argc() >= 7) {
            keys.group = request.argBytes(2);
            keys.consumer = request.argBytes(3);
            int streams = -1;
            for (int i = 4; i < request.argc() && streams < 0; i++) {
                String option = new String(request.argBytes(i), java.nio.charset.StandardCharsets.US_ASCII);
                if (option.equalsIgnoreCase("NOACK")) {
                    keys.noack = true;
                } else if (option.equalsIgnoreCase("STREAMS")) {
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
     * arguments of {@code KM.XDELIVERED}; empty when it delivered nothing (a timeout).
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
            boolean isFresh = fresh.stream().anyMatch(k -> java.util.Arrays.equals(k, key));
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

    /** The keys the command changed, given its reply frame; empty when it changed nothing. */
    List<byte[]> changed(ByteBuf reply) {
        List<byte[]> keys = new ArrayList<>(2);
        ReplyReader r = new ReplyReader(reply);
        byte type = r.type();
        if (r.isNull() || type == '-' || type == '!') {
            return keys;
        }
        if (source != null) {
            keys.add(source);
            if (!java.util.Arrays.equals(source, destination)) {
                keys.add(destination);
            }
            return keys;
        }
        if (command.equals("XREADGROUP")) {
            boolean map = type == '%';
            long n = r.readAggregate();
            for (long i = 0; i < n; i++) {
                if (map) {
                    keys.add(r.readString());
                    r.skip();
                } else {
                    long items = r.readAggregate();
                    keys.add(r.readString());
                    for (long k = 1; k < items; k++) {
                        r.skip();
                    }
                }
            }
            return keys;
        }
        if (type == '*' && r.readAggregate() > 0) {
            keys.add(r.readString());
        }
        return keys;
    }
}
