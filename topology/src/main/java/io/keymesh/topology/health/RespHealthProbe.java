package io.keymesh.topology.health;

import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.ReplyStream;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.LinkSockets;
import io.netty.buffer.ByteBuf;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The check HAProxy users write for Redis, over a fresh TCP (or TLS) connection each time: optional AUTH,
 * then PING must answer PONG and ROLE must say "master" (INFO replication's {@code role:master} when
 * the upstream does not know ROLE), all within the timeout. A replica, an error, a wrong reply, a
 * refused connection or silence fails the check.
 *
 * <p>One error passes: {@code -BUSY} to PING, Redis' answer while a script runs past
 * busy-reply-threshold (a keymesh upstream forwards PING to its redis-server and answers ROLE
 * itself). The upstream answered at once, so it is alive, and it is still the primary holding the
 * data; the script ends or is killed (SCRIPT KILL) within moments, while a failover would move the
 * replica to another primary and back in a flap for a transient, killable state. An upstream that
 * stops answering, or whose script runs on until the check timeout, fails as before.
 */
public final class RespHealthProbe implements HealthProbe {
    private static final int REPLY_BYTES_MAX = 64 * 1024;

    private final Duration timeout;
    private final String username;
    private final String password;
    private final TimeSource time;
    private final LinkSockets sockets;

    /**
     * A probe with the given timeout per check, over plain TCP.
     *
     * @param username user for AUTH, or null for the default user
     * @param password password for AUTH, or null to send no AUTH
     */
    public RespHealthProbe(Duration timeout, String username, String password) {
        this(timeout, username, password, LinkSockets.plain());
    }

    /** The same, connecting with {@code sockets} (TLS with keymesh.tls.replication). */
    public RespHealthProbe(Duration timeout, String username, String password, LinkSockets sockets) {
        this(timeout, username, password, sockets, TimeSource.system());
    }

    /** The same, with the deadline of each check kept on {@code time}'s monotonic clock. */
    public RespHealthProbe(Duration timeout, String username, String password, LinkSockets sockets, TimeSource time) {
        this.time = Objects.requireNonNull(time, "time");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.username = username;
        this.password = password;
        this.sockets = Objects.requireNonNull(sockets, "sockets");
    }

    @Override
    public ProbeResult probe(UpstreamAddress upstream) {
        long deadline = time.monotonicNanos() + timeout.toNanos();
        try (Socket socket = sockets.connect(sockets.create(), upstream.host(), upstream.port(), remainingMillis(deadline))) {
            OutputStream out = socket.getOutputStream();
            ReplyStream in = new ReplyStream(socket.getInputStream(), REPLY_BYTES_MAX);
            if (password != null) {
                send(out, username == null ? List.of("AUTH", password) : List.of("AUTH", username, password));
            }
            send(out, List.of("PING"));
            send(out, List.of("ROLE"));
            if (password != null) {
                ReplyReader auth = read(socket, in, deadline);
                if (auth.isError()) {
                    return ProbeResult.fail("AUTH refused: " + auth.readText());
                }
            }
            ReplyReader pong = read(socket, in, deadline);
            boolean pongError = pong.isError();
            String pongText = pongError || pong.isString() ? pong.readText() : null;
            boolean busy = pongError && pongText.startsWith("BUSY ");
            if (!"PONG".equals(pongText) && !busy) {
                return ProbeResult.fail("PING answered " + (pongText == null ? pong.describe(80)
                        : pongError ? "error " + pongText : pongText));
            }
            String answered = busy ? "BUSY (a script runs; up all the same)" : "PONG";
            ReplyReader role = read(socket, in, deadline);
            if (role.isError()) {
                send(out, List.of("INFO", "replication"));
                ReplyReader info = read(socket, in, deadline);
                return judgeRole(info.isString() ? roleFromInfo(info.readText()) : null, "INFO replication", answered);
            }
            String shown = role.describe(80);
            if (role.type() == '*' && !role.isNull() && role.readAggregate() > 0 && role.isString()) {
                return judgeRole(role.readText(), "ROLE", answered);
            }
            return ProbeResult.fail("ROLE answered " + shown);
        } catch (SocketTimeoutException e) {
            return ProbeResult.timeout("no reply within " + timeout.toMillis() + " ms");
        } catch (ConnectException e) {
            return ProbeResult.fail("connection refused");
        } catch (UnknownHostException e) {
            return ProbeResult.fail("unknown host " + upstream.host());
        } catch (IOException e) {
            return ProbeResult.fail(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (IllegalStateException | NumberFormatException e) {
            return ProbeResult.fail("malformed reply: " + e.getMessage());
        }
    }

    private static ProbeResult judgeRole(String role, String source, String answered) {
        if ("master".equals(role)) {
            return ProbeResult.pass(answered + ", " + source + " master");
        }
        if (role == null) {
            return ProbeResult.fail(source + " reported no role");
        }
        return ProbeResult.fail("not a primary: " + source + " " + role);
    }

    private static String roleFromInfo(String text) {
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("role:")) {
                return line.substring("role:".length()).trim();
            }
        }
        return null;
    }

    private ReplyReader read(Socket socket, ReplyStream in, long deadline) throws IOException {
        socket.setSoTimeout(remainingMillis(deadline));
        ReplyReader reply = in.next();
        if (reply == null) {
            throw new EOFException("connection closed by upstream");
        }
        return reply;
    }

    private int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = (deadline - time.monotonicNanos()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("check deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static void send(OutputStream out, List<String> args) throws IOException {
        ByteBuf command = RespCommand.encode(args.toArray(String[]::new));
        command.readBytes(out, command.readableBytes());
        out.flush();
    }
}
