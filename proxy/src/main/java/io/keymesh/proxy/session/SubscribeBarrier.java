package io.keymesh.proxy.session;

import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HexFormat;

/**
 * Where a session's subscribe-family command (or a RESET of a RESP2 subscriber) ends: keymesh sends
 * {@code PING <marker>} right behind it on the same backend link, and the session's later requests
 * wait until that PING's reply is back. Redis answers in order, so the reply comes after every
 * confirmation of the command, and its form says whether the connection is still in RESP2
 * subscribe mode (an array {@code pong <marker>}) or not (a bulk {@code <marker>}). The marker is
 * random per session, so no reply of the client's own requests can pass for it.
 */
final class SubscribeBarrier {
    /** What a backend frame is to the barrier. */
    enum Match { NONE, SUBSCRIBED, NOT_SUBSCRIBED }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(1);
    private String marker;
    private byte[] bulk;                 // the PING's reply outside RESP2 subscribe mode
    private byte[] pong;                 // the PING's reply in RESP2 subscribe mode
    private int pending;                 // marker PINGs sent whose reply has not come back

    /** The marker PING to send right after the command; the barrier holds until its reply is back. */
    ByteBuf request() {
        if (marker == null) {
            byte[] b = new byte[16];
            RANDOM.nextBytes(b);
            marker = "keymesh-barrier-" + HexFormat.of().formatHex(b);
            String bulkText = "$" + marker.length() + "\r\n" + marker + "\r\n";
            bulk = bulkText.getBytes(StandardCharsets.US_ASCII);
            pong = ("*2\r\n$4\r\npong\r\n" + bulkText).getBytes(StandardCharsets.US_ASCII);
        }
        pending++;
        return RespCommand.encode("PING", marker);
    }

    boolean pending() {
        return pending > 0;
    }

    /** Runs {@code action} once no marker PING is on its way (now, if none is). */
    void then(Runnable action) {
        if (pending == 0) {
            action.run();
        } else {
            waiting.add(action);
        }
    }

    /** Whether a backend frame is the reply of a marker PING on its way (which then counts as back). */
    Match match(ByteBuf buffer, int index, int length) {
        if (pending == 0) {
            return Match.NONE;
        }
        Match m = equal(buffer, index, length, bulk) ? Match.NOT_SUBSCRIBED
                : equal(buffer, index, length, pong) ? Match.SUBSCRIBED : Match.NONE;
        if (m != Match.NONE) {
            pending--;
        }
        return m;
    }

    /** Runs what waited, once the last marker PING is back. */
    void release() {
        while (pending == 0 && !waiting.isEmpty()) {
            waiting.poll().run();
        }
    }

    private static boolean equal(ByteBuf buffer, int index, int length, byte[] expected) {
        if (length != expected.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (buffer.getByte(index + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
