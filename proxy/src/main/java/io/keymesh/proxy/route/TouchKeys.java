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
 *   XREADGROUP ... BLOCK                         reply [[key, entries] ...]  -> every key (RESP3: map keys)
 * </pre>
 */
final class TouchKeys {
    private final String command;
    private final byte[] source;
    private final byte[] destination;

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
        return new TouchKeys(command, null, null);
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
