package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The sending side of a link, for peers and replicas alike: drives a {@link SendMachine} over the
 * Netty {@code channel} of the connection that sent PULL, on that channel's event loop (no thread
 * of its own). Its log reads are made on the loop itself ({@link LoopLogReader}); its other backend
 * calls (the logs' spans, a read the loop could not make) go to {@link LinkBackend}, one at a
 * time on the node's shared backend threads, and their outcomes come back to the loop; a wait for
 * the logs to grow is the node's {@link LogTailer}'s, ended early by the machine's time. Acks and
 * writability changes arrive on the loop ({@link SenderHandler}). A snapshot goes out in steps
 * ({@link SnapshotWriter}): each is a backend call whose frames the loop writes, and the next is
 * asked for only while the channel is writable.
 * Once the first frame is out, the loop writes a heartbeat whenever nothing was written for a
 * heartbeat interval ({@link FrameChannel#keepAlive}), so the puller keeps hearing the link while a
 * backend call waits on a busy redis-server.
 */
public final class SendLink {
    private static final Logger log = LoggerFactory.getLogger(SendLink.class);

    private final Channel channel;
    private final EventLoop loop;
    private final SendMachine machine;
    private final String selfId;
    private final boolean replica;
    private final int databases;
    private final Supplier<String> stampNow;
    private final Supplier<? extends Collection<String>> expectedOrigins;
    private final ServeStatus status;
    private final TimeSource time;
    private final FrameChannel frames;
    private final LinkBackend calls;
    private final LoopLogReader reads;
    private final LogTailer tailer;
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    private volatile Set<String> known;      // origins an ack may name: the PULL's and those this node logs
    private final String name;
    private volatile boolean stopped;
    private volatile boolean opened;
    // the rest is touched on the loop only
    private final ActionQueue todo;
    private final LoopTimer timer;
    private boolean awaiting;                // the machine awaits its logs (AwaitLogs)
    private Object waiting;                  // the tailer's wait meanwhile
    private long waits;                      // numbers the waits: a wake-up of an ended one is dropped
    private SnapshotWriter snapshot;         // the snapshot being sent, if any
    private boolean snapshotStepping;        // one of its steps runs on the backend

    /**
     * Serves {@code pullerId} (a replica when {@code replica}) from its position vector {@code from};
     * {@code expectedOrigins} are the origins this node logs (its own and its peers'), tailed before
     * their log exists. Backend calls run on {@code runtime}'s threads, waits for the logs on {@code tailer}.
     */
    public SendLink(Channel channel, String selfId, String pullerId, boolean replica, Map<String, Long> from,
                    BackendAccess backend, int databases, LinkSettings settings, Supplier<String> stampNow,
                    Supplier<? extends Collection<String>> expectedOrigins, ServeStatus status, TimeSource time,
                    LinkRuntime runtime, LogTailer tailer) {
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.machine = new SendMachine(selfId, pullerId, replica, from, settings);
        this.selfId = selfId;
        this.replica = replica;
        this.databases = databases;
        this.stampNow = stampNow;
        this.expectedOrigins = expectedOrigins;
        this.status = status;
        this.time = time;
        this.tailer = tailer;
        this.name = (replica ? "replica link to " : "link to ") + pullerId;
        this.frames = new FrameChannel(channel, status, () -> stopped, settings.heartbeatMillis(), time);
        this.calls = new LinkBackend(runtime.backend(), backend, 2 * databases,
                () -> new BusyWait(name).whileWaiting(() -> !stopped && channel.isActive()).measuredBy(time));
        this.reads = new LoopLogReader(backend, loop, 2 * databases, time);
        this.todo = new ActionQueue(this::perform, this::failed, this::connected);
        this.timer = new LoopTimer(loop, time, this::fire);
        acked.putAll(from);
        Set<String> origins = new HashSet<>(from.keySet());
        origins.add(selfId);
        this.known = origins;
        status.acked(shown(from), time.wallMillis());
    }

    /** What INFO shows of this link. */
    public ServeStatus status() {
        return status;
    }

    /** Starts serving: the machine opens on the channel's loop. */
    public void start() {
        onLoop(() -> act(machine.open(time.monotonicNanos())));
    }

    /** Called by the channel handler when writability changed. */
    public void onWritabilityChanged() {
        onLoop(() -> {
            act(machine.onWritable(channel.isWritable(), time.monotonicNanos()));
            snapshotStep();
        });
    }

    /**
     * Called on the event loop for each acknowledgement: the puller applied {@code origin} up to
     * {@code seq}. An origin that neither the PULL named nor this node logs is ignored (the puller
     * acknowledges its whole vector, which may name origins this node has not heard of yet; and a
     * puller naming made-up origins must not grow the maps).
     */
    public void onAck(String origin, long seq) {
        if (!acked.containsKey(origin) && !known.contains(origin)) {
            status.ackIgnored();
            return;
        }
        acked.merge(origin, seq, Math::max);
        status.acked(shown(acked), time.wallMillis());
        onLoop(() -> act(machine.onAck(origin, seq, time.monotonicNanos())));
    }

    /** The connection closed: end. */
    public void stop() {
        stopped = true;
        try {
            loop.execute(this::stopped);
        } catch (RejectedExecutionException e) {
            // the loop is gone already
        }
    }

    private void stopped() {
        todo.clear();
        timer.cancel();
        endWait();
        snapshot = null;
        machine.onClosed(time.monotonicNanos());
        reads.close();
        calls.reset();
        status.state("closed");
    }

    /** Sends a non-logged publish unless the channel is backed up beyond its buffer; thread-safe. */
    public void publish(LinkFrame.Publish frame) {
        if (channel.isActive() && opened) {         // the puller expects its Sync frame first
            frames.publishUnlessBackedUp(frame);
        }
    }

    /** What the puller has acknowledged of each origin's log (by this link or another), a copy. */
    public Map<String, Long> ackedAll() {
        return Map.copyOf(acked);
    }

    /** What the puller has acknowledged of {@code origin}'s log (0 before anything). */
    public long ackedOf(String origin) {
        return acked.getOrDefault(origin, 0L);
    }

    /** Runs {@code step} on the channel's loop (at once when called there) while the link lives. */
    private void onLoop(Runnable step) {
        if (loop.inEventLoop()) {
            if (live()) {
                step.run();
            }
            return;
        }
        try {
            loop.execute(() -> {
                if (live()) {
                    step.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // the node is stopping
        }
    }

    /**
     * True while the connection stands: the machine's actions are performed until then, its last
     * ones too ({@link LinkAction.Close} comes from a machine that has just closed).
     */
    private boolean connected() {
        return !stopped && channel.isActive();
    }

    private boolean live() {
        return !stopped && channel.isActive() && machine.state() != SendMachine.State.CLOSED;
    }

    /** Performs {@code actions} in order (and those their outcomes bring, when they come at once). */
    private void act(List<LinkAction> actions) {
        todo.run(actions);
    }

    private void perform(LinkAction action) {
        if (action instanceof LinkAction.Send s) {
            frames.write(s.frame());
            if (s.frame() instanceof LinkFrame.Sync) {
                opened();
            } else if (s.frame() instanceof LinkFrame.Batch) {
                status.sent(shown(machine.sent()));
                status.head(Math.max(status.headSeq(), machine.head()));
            }
        } else if (action instanceof LinkAction.Timer t) {
            timer.at(t.atNanos());
        } else if (action instanceof LinkAction.ReadLog r) {
            readLog(r);
        } else if (action instanceof LinkAction.AwaitLogs a) {
            await(a);
        } else if (action instanceof LinkAction.CheckLogs c) {
            Collection<String> expected = List.copyOf(expectedOrigins.get());
            call(conn -> {
                LogStore store = new LogStore(conn, databases);
                Map<String, LogSpan> spans = new TreeMap<>();
                for (String origin : store.origins()) {
                    spans.put(origin, store.span(origin));
                }
                for (String origin : expected) {
                    spans.putIfAbsent(origin, LogSpan.EMPTY);
                }
                return spans;
            }, spans -> {
                Set<String> origins = new HashSet<>(known);
                if (origins.addAll(spans.keySet())) {
                    known = origins;
                }
                act(machine.onLogs(spans, time.monotonicNanos()));
            });
        } else if (action instanceof LinkAction.SendHeartbeat h) {
            status.head(h.headSeq());
            frames.write(new LinkFrame.Heartbeat(stampNow.get(), h.headSeq()));
        } else if (action instanceof LinkAction.SendSnapshot s) {
            snapshot();
        } else if (action instanceof LinkAction.Close c) {
            log.warn("{}: {}", name, c.reason());
            stopped = true;
            channel.close();
        } else {
            throw new IllegalStateException("not a sender's action: " + action);
        }
    }

    /**
     * Reads the log on the loop ({@link LoopLogReader}); when that way cannot answer, the link's
     * backend calls read it (they wait out a busy backend, and report what fails).
     */
    private void readLog(LinkAction.ReadLog r) {
        reads.range(r.origin(), r.afterSeq(), r.count(), entries -> {
            if (!live()) {
                return;
            }
            if (entries != null) {
                act(machine.onRead(r.origin(), r.afterSeq(), entries, time.monotonicNanos()));
            } else {
                call(conn -> new LogStore(conn, databases).range(r.origin(), r.afterSeq(), r.count()),
                        read -> act(machine.onRead(r.origin(), r.afterSeq(), read, time.monotonicNanos())));
            }
        });
    }

    /** Hands {@code call} to the link's backend calls; {@code then} gets its result on the loop; a failure ends the link. */
    private <T> void call(LinkBackend.Call<T> call, Consumer<T> then) {
        calls.submit(call, (result, error) -> onLoop(() -> {
            if (error != null) {
                failed(error);
            } else {
                then.accept(result);
            }
        }));
    }

    private void failed(Exception e) {
        if (live()) {
            log.warn("{} ({}): sender failed: {}", name, status.address(), e.toString());
        }
        stopped = true;
        status.state("closed");
        channel.close();
    }

    /** The machine waits for its logs: the tailer wakes it when one grows, the timer when its time comes. */
    private void await(LinkAction.AwaitLogs a) {
        endWait();
        awaiting = true;
        long id = waits;
        timer.at(a.untilNanos());
        if (!a.after().isEmpty()) {
            Object wait = tailer.await(a.after(), () -> onLoop(() -> {
                if (awaiting && waits == id) {
                    wakeUp();
                }
            }));
            if (awaiting && waits == id) {          // not woken at once
                waiting = wait;
            }
        }
    }

    private void wakeUp() {
        endWait();
        act(machine.onWake(time.monotonicNanos()));
    }

    private void endWait() {
        awaiting = false;
        if (waiting != null) {
            tailer.cancel(waiting);
            waiting = null;
        }
        waits++;
    }

    /** The timer fired: the machine's {@code onTimer}, or {@code onWake} while it awaits its logs. */
    private void fire() {
        if (!live()) {
            return;
        }
        if (awaiting) {
            wakeUp();
        } else {
            act(machine.onTimer(time.monotonicNanos()));
        }
    }

    /**
     * Streams a snapshot: its {@code Sync} frame, then the {@link SnapshotWriter}'s steps, each a
     * backend call whose frames the loop writes; the next step is asked for while the channel is
     * writable, or once it is again ({@link #onWritabilityChanged}). The machine hears {@code
     * onSnapshotSent} after the last.
     */
    private void snapshot() {
        status.state("snapshot");
        call(conn -> SnapshotWriter.sync(conn, databases), sync -> {
            frames.write(sync);
            opened();
            log.info("{}: position {} is behind the log, sending a snapshot", name, acked);
            snapshot = new SnapshotWriter(databases);
            snapshotStep();
        });
    }

    /** Asks for the snapshot's next frames unless a step runs or the channel is backed up; ends the snapshot after its last. */
    private void snapshotStep() {
        if (snapshot == null || snapshotStepping) {
            return;
        }
        if (snapshot.done()) {
            snapshot = null;
            act(machine.onSnapshotSent(time.monotonicNanos()));
            status.state("streaming");
            return;
        }
        if (!channel.isWritable()) {
            return;
        }
        snapshotStepping = true;
        call(snapshot::next, out -> {
            snapshotStepping = false;
            for (LinkFrame frame : out) {
                frames.write(frame);
            }
            snapshotStep();
        });
    }

    private void opened() {
        if (!opened) {
            opened = true;
            if (!status.state().equals("snapshot")) {
                status.state("streaming");
            }
            frames.keepAlive(() -> new LinkFrame.Heartbeat(stampNow.get(), status.headSeq()));
        }
    }

    /** The position INFO shows for a vector: this node's own for a peer, the sum for a replica. */
    private long shown(Map<String, Long> positions) {
        if (!replica) {
            return positions.getOrDefault(selfId, 0L);
        }
        long total = 0;
        for (long v : positions.values()) {
            total += v;
        }
        return total;
    }
}
