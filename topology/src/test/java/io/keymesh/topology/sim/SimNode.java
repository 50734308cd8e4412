package io.keymesh.topology.sim;

import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.wire.Frames;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One simulated keymesh node: its real redis-server (with the apply library), its clock on skewed
 * virtual time, its role, and whether it is up. What a proxy would do for a client write is
 * {@link #write}: a stamp from the node's clock, then {@code FCALL km_w} on user db 0, as the proxy's
 * write path sends it. A crash loses what only the process held (the clock, the links); what the
 * redis-server holds stays ({@link #restart}).
 */
final class SimNode implements LinkHost {
    /** The largest offset a received stamp may be ahead of this node's wall clock (keymesh.max-clock-offset). */
    static final long CLOCK_OFFSET_MILLIS_MAX = 2000;

    final int index;
    final boolean primary;
    final NodeTime time;
    private final String id;
    private final SimServers servers;
    private final LinkSettings settings;
    private HybridClock clock;
    private boolean up = true;
    private long logVersion;

    SimNode(int index, boolean primary, Scheduler scheduler, SimServers servers, LinkSettings settings) {
        this.index = index;
        this.primary = primary;
        this.id = String.format("%08x", 0xa0a0a0a0L + index * 0x01010101L);
        this.time = new NodeTime(scheduler);
        this.servers = servers;
        this.settings = settings;
        this.clock = new HybridClock(time, CLOCK_OFFSET_MILLIS_MAX);
    }

    @Override
    public String nodeId() {
        return id;
    }

    @Override
    public HybridClock clock() {
        return clock;
    }

    @Override
    public BackendClient backend() {
        return servers.state(index);
    }

    /** How to open more connections to this node's redis-server. */
    BackendAccess access() {
        return servers.access(index);
    }

    /** The connection clients' writes and the digest use (user db 0 selected). */
    BackendClient data() {
        return servers.data(index);
    }

    @Override
    public int databases() {
        return SimServers.DATABASES;
    }

    @Override
    public LinkSettings settings() {
        return settings;
    }

    @Override
    public long logVersion() {
        return logVersion;
    }

    /** Something may have appended to a log here (a client write, a batch applied). */
    void logGrew() {
        logVersion++;
    }

    boolean up() {
        return up;
    }

    /**
     * A client's writes through the apply library, as the proxy sends them: one command alone, or
     * several as one MULTI/EXEC whose writes carry the transaction's id (a clock reading taken at
     * MULTI). Returns each write's stamp and reply (a RespError when refused; all refused when EXEC is).
     */
    List<Write> write(List<List<String>> commands) throws IOException {
        boolean multi = commands.size() > 1;
        String txn = multi ? Stamp.of(clock.now(), id).substring(0, Stamp.HLC_DIGITS) : "0";
        if (multi) {
            data().ok(List.of("MULTI"));
        }
        List<String> stamps = new ArrayList<>();
        List<Object> replies = new ArrayList<>();
        for (List<String> command : commands) {
            String stamp = Stamp.of(clock.now(), id);
            List<Object> args = new ArrayList<>(List.of("FCALL", "km_w", "0", "2", "0", Integer.toString(databases()), id, stamp, txn));
            args.addAll(command);
            List<byte[]> bytes = new ArrayList<>(args.size());
            for (Object a : args) {
                bytes.add(Frames.bytes(a.toString()));
            }
            stamps.add(stamp);
            replies.add(data().call(bytes));
        }
        if (multi) {
            Object exec = data().call("EXEC");
            replies = exec instanceof List<?> l ? new ArrayList<>(l) : java.util.Collections.nCopies(commands.size(), exec);
        }
        logGrew();
        List<Write> out = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) {
            out.add(new Write(stamps.get(i), replies.get(i)));
        }
        return out;
    }

    /** A write's stamp and the reply the client got. */
    record Write(String stamp, Object reply) {
    }

    /** The process stops: its clock and links are gone (the simulation drops its connections). */
    void crash() {
        up = false;
    }

    /**
     * The process starts again: a new clock, moved past the newest stamp of every log here (as a
     * node seeds its clock at start); with {@code redisRestarted}, its redis-server restarted first
     * from what it had saved ({@code DEBUG RELOAD}).
     */
    void restart(boolean redisRestarted) throws IOException {
        if (redisRestarted) {
            data().ok(List.of("DEBUG", "RELOAD"));
        }
        clock = new HybridClock(time, CLOCK_OFFSET_MILLIS_MAX);
        for (Object origin : (List<?>) backend().ok(List.of("HKEYS", "km:pos"))) {
            List<?> last = (List<?>) backend().ok(List.of("XREVRANGE", "km:log:" + Frames.text(origin), "+", "-", "COUNT", "1"));
            if (!last.isEmpty()) {
                List<?> fields = (List<?>) ((List<?>) last.get(0)).get(1);
                for (int i = 0; i < fields.size(); i += 2) {
                    if (Frames.text(fields.get(i)).equals("t")) {
                        clock.advanceTo(Stamp.hlc(Frames.text(fields.get(i + 1))));
                    }
                }
            }
        }
        up = true;
        logGrew();
    }

    @Override
    public String toString() {
        return id;
    }
}
