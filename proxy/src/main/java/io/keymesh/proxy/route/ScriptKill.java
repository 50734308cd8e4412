package io.keymesh.proxy.route;

import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.session.ClientSession;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * SCRIPT KILL and FUNCTION KILL, each on a backend connection of its own.
 *
 * <h2>Why a connection of its own</h2>
 * A kill is meant for a script that keeps the backend busy. Sent on the loop's shared link, or on a
 * session's own link, it would queue behind the very script it should stop (or behind a request of
 * another client waiting for that script): Redis reads a connection's next request only after the
 * current one ends, so the kill would never answer. A fresh connection reaches Redis at once; Redis
 * lets it in (AUTH is allowed while a script runs, SELECT is not, so the connection stays on db 0
 * with RESP2; a kill's replies are simple strings and errors, alike in both protocols) and answers
 * NOTBUSY, OK or UNKILLABLE as it would to the client. The connection closes after the reply.
 *
 * <h2>A user's EVAL may be a function to Redis</h2>
 * With peers, keymesh may run a client's EVAL inside one of its library functions; Redis then
 * answers SCRIPT KILL with "-BUSY ... You can only call FUNCTION KILL ...". The client asked to
 * stop what it sees as a script, so that answer is followed, once, by FUNCTION KILL on the same
 * connection and the client gets that reply.
 */
final class ScriptKill {
    /** Redis' reply to SCRIPT KILL while a function (not an EVAL script) runs starts with this ... */
    private static final String BUSY = "-BUSY ";
    /** ... and names the kill that applies. */
    private static final String USE_FUNCTION_KILL = "FUNCTION KILL";

    private ScriptKill() {
    }

    /** True when the request is a SCRIPT KILL or FUNCTION KILL this class sends (outside MULTI, right arity). */
    static boolean handles(ClientSession s, RespRequest r, CommandSpec spec) {
        return r.argc() == 2 && !s.inMulti()
                && (spec.name().equals("SCRIPT|KILL") || spec.name().equals("FUNCTION|KILL"));
    }

    /** Sends the kill on a new backend connection; its reply takes the request's place in the session's order. */
    static void send(ClientSession s, RespRequest r, CommandSpec spec, BackendConnector connector) {
        boolean scriptKill = spec.name().equals("SCRIPT|KILL");
        ReplySink place = s.expectReply(null);
        try {
            BackendLink link = connector.connect(s.channel().eventLoop(), 0, 2, LinkListener.NONE);
            link.send(r.buffer(), r.frameIndex(), r.frameLength(), new KillReply(link, place, scriptKill));
        } finally {
            r.release();
        }
    }

    /** Passes the kill's reply on (after a FUNCTION KILL when SCRIPT KILL found a function), then closes. */
    private static final class KillReply implements ReplySink {
        private final BackendLink link;
        private final ReplySink place;
        private boolean mayFollowWithFunctionKill;

        KillReply(BackendLink link, ReplySink place, boolean scriptKill) {
            this.link = link;
            this.place = place;
            this.mayFollowWithFunctionKill = scriptKill;
        }

        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            if (mayFollowWithFunctionKill && runsAFunction(buffer, index, length)) {
                mayFollowWithFunctionKill = false;
                link.send(RespCommand.encode("FUNCTION", "KILL"), this);
                return;
            }
            try {
                place.onReply(buffer, index, length);
            } finally {
                link.close("ERR keymesh: kill connection closed");
            }
        }

        @Override
        public void onFailure(String error) {
            place.onFailure(error);
        }

        private static boolean runsAFunction(ByteBuf buffer, int index, int length) {
            if (!ReplyScanner.isError(buffer, index)) {
                return false;
            }
            String text = buffer.toString(index, length, StandardCharsets.UTF_8);
            return text.startsWith(BUSY) && text.contains(USE_FUNCTION_KILL);
        }
    }
}
