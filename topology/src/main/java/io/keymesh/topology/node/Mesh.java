package io.keymesh.topology.node;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LinkRuntime;
import io.keymesh.topology.link.LogTailer;
import io.keymesh.topology.link.PullLink;
import io.keymesh.topology.link.PullStatus;
import io.keymesh.topology.link.SendLink;
import io.keymesh.topology.link.SenderHandler;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.PeerAuth;
import io.keymesh.topology.clock.Stamp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's part in the mesh: the {@link PullLink} it runs to each configured peer, the
 * {@link SendLink}s it runs for peers and replicas pulling from it (all of them on the threads of its
 * {@link LinkRuntime} and {@link LogTailer}, whatever their number), the handshake checks (proofs of
 * the cluster secret both ways, log format, clock offset), the live broadcast of PUBLISH to connected
 * peers and replicas, and log housekeeping.
 */
public final class Mesh implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Mesh.class);

    private final MeshSettings settings;
    private final HybridClock clock;
    private final TimeSource time;
    private final BackendAccess backend;
    private final LinkRuntime runtime = new LinkRuntime();
    private final LogTailer tailer;
    private final List<PullLink> links = new CopyOnWriteArrayList<>();
    private final List<PullStatus> pullStatuses = new CopyOnWriteArrayList<>();
    private final List<SendLink> senders = new CopyOnWriteArrayList<>();
    private final List<SendLink> replicaSenders = new CopyOnWriteArrayList<>();
    /** What each peer last acknowledged of every origin (by any link), while linked or since it left. */
    private final Map<String, Map<String, Long>> peerAcks = new ConcurrentHashMap<>();
    private final Map<String, DepartedReplica> departedReplicas = new ConcurrentHashMap<>();
    private volatile String logHeldFor = "";
    private volatile long metadataUnreadable;
    private final AtomicLong clockRefusals = new AtomicLong();
    private final AtomicLong secretRefusals = new AtomicLong();
    private final AtomicLong formatRefusals = new AtomicLong();
    private volatile Map<String, Long> flushWays = Map.of();
    private volatile String lastRefusal = "";
    private Housekeeper housekeeper;

    public Mesh(MeshSettings settings, HybridClock clock, TimeSource time, BackendAccess backend) {
        this.settings = settings;
        this.clock = clock;
        this.time = time;
        this.backend = backend;
        this.tailer = new LogTailer(backend, settings.databases(), settings.link().tailBlockMillis(), runtime);
        tailer.start();
    }

    public MeshSettings settings() {
        return settings;
    }

    public String nodeId() {
        return settings.nodeId();
    }

    public HybridClock clock() {
        return clock;
    }

    /** The node's time source (the only clock the mesh reads). */
    public TimeSource time() {
        return time;
    }

    /** The threads every link of this node runs on (its pulling links, a replica's link, its serving links' backend calls). */
    public LinkRuntime links() {
        return runtime;
    }

    /** Starts a link to every configured peer and the housekeeping thread. */
    public void start() {
        PullLink.Self self = new PullLink.Self(settings.nodeId(), settings.role(), settings.advertise(),
                settings.clusterSecret(), settings.databases());
        for (String peer : settings.peers()) {
            PullStatus status = new PullStatus(peer, time);
            PullLink link = PullLink.toPeer(peer, self, clock, time, backend, settings.link(), status, runtime);
            link.onPublish(this::toReplicas);
            link.onSecretRefusal(this::refusedByPuller);
            links.add(link);
            pullStatuses.add(status);
            link.start();
        }
        housekeeper = new Housekeeper(this, backend, time);
        housekeeper.start();
        log.info("mesh node {} ({}) pulling from {} peer(s): {}", settings.nodeId(), settings.role(), links.size(),
                settings.peers());
    }

    /**
     * Checks a KEYMESH HELLO and returns the answer: this node's nonce and, with a cluster secret, its
     * proof ({@link PeerAuth#serverProof}). A refusal's message is the error reply. Nothing the peer
     * says is adopted yet: its stamp is observed by {@link #admit} once it is authenticated.
     */
    public Hello.Reply hello(Hello hello) throws HelloRefusal {
        if (hello.logFormat() != Hello.LOG_FORMAT) {
            formatRefusals.incrementAndGet();
            String text = "log format " + hello.logFormat() + ", this node reads log format " + Hello.LOG_FORMAT
                    + " (run the same keymesh version on every node)";
            lastRefusal = "node " + hello.nodeId() + " at " + hello.advertise() + ": " + text;
            log.warn("refused link from node {} ({}): {}", hello.nodeId(), hello.advertise(), text);
            throw new HelloRefusal("ERR keymesh: " + text);
        }
        if (hello.nodeId().equals(settings.nodeId())) {
            throw new HelloRefusal("ERR keymesh: node id " + hello.nodeId() + " is this node's own id");
        }
        String nonce = PeerAuth.nonce();
        String proof = requiresProof()
                ? PeerAuth.serverProof(settings.clusterSecret(), hello.nonce(), nonce, settings.nodeId(), hello.nodeId())
                : "";
        return new Hello.Reply(settings.nodeId(), Stamp.of(clock.now(), settings.nodeId()), settings.databases(), nonce,
                proof);
    }

    /** True when a node linking to this one must prove the cluster secret (KEYMESH AUTH) before it pulls. */
    public boolean requiresProof() {
        return !settings.clusterSecret().isEmpty();
    }

    /**
     * Checks the proof a puller sent in KEYMESH AUTH after {@code hello}, which this node answered with
     * {@code serverNonce}; a wrong proof is refused, counted, logged and shown in INFO.
     */
    public void authenticate(Hello hello, String serverNonce, String proof) throws HelloRefusal {
        if (!requiresProof()) {
            throw new HelloRefusal("ERR keymesh: this node has no cluster secret (keymesh.cluster-secret) to check a proof against");
        }
        String expected = PeerAuth.clientProof(settings.clusterSecret(), serverNonce, hello.nonce(), hello.nodeId(),
                settings.nodeId());
        if (!PeerAuth.matches(expected, proof)) {
            refuseSecret(hello, "wrong cluster secret proof");
            throw new HelloRefusal("ERR keymesh: wrong cluster secret proof (keymesh.cluster-secret differs)");
        }
    }

    /** Refuses a PULL from a node that said HELLO but never proved the cluster secret; counted like a wrong proof. */
    public HelloRefusal unproven(Hello hello) {
        refuseSecret(hello, "no cluster secret proof");
        return new HelloRefusal("NOAUTH keymesh: this node requires the cluster secret; prove it with KEYMESH AUTH "
                + "after KEYMESH HELLO (set the same keymesh.cluster-secret on every node)");
    }

    /**
     * Counts and shows a refusal by one of this node's pulling links (peer or replica) of a node that
     * could not prove the cluster secret.
     */
    public void refusedByPuller(String why) {
        secretRefusals.incrementAndGet();
        lastRefusal = why;
    }

    private void refuseSecret(Hello hello, String why) {
        secretRefusals.incrementAndGet();
        lastRefusal = "node " + hello.nodeId() + " at " + hello.advertise() + ": " + why;
        log.warn("refused link from node {} ({}): {}", hello.nodeId(), hello.advertise(), why);
    }

    /**
     * Admits an authenticated peer or replica before it pulls: observes its HELLO stamp in this node's
     * clock; a clock too far ahead is refused, counted and reported.
     */
    public void admit(Hello hello) throws HelloRefusal {
        try {
            clock.observe(Stamp.hlc(hello.stamp()));
        } catch (ClockSkewException e) {
            clockRefusals.incrementAndGet();
            String text = "clock ahead by " + e.aheadMillis() + " ms (max-clock-offset " + clock.clockOffsetMillisMax() + " ms)";
            lastRefusal = "node " + hello.nodeId() + " at " + hello.advertise() + ": " + text;
            log.warn("refused link from node {} ({}): {}", hello.nodeId(), hello.advertise(), text);
            throw new HelloRefusal("ERR keymesh: " + text);
        }
    }

    /** Checks one {@code <origin> <seq>} pair of a KEYMESH PULL after a successful HELLO; a refusal's message is the error reply. */
    public void checkPull(String role, String origin, long seq) throws HelloRefusal {
        if (role.equals("replica")) {
            if (!settings.role().equals("primary")) {
                throw new HelloRefusal("ERR keymesh: this node is a " + settings.role() + "; replicas follow primaries");
            }
        } else if (!role.equals("peer")) {
            throw new HelloRefusal("ERR keymesh: PULL needs 'peer' or 'replica', got '" + role + "'");
        }
        if (seq < 0) {
            throw new HelloRefusal("ERR keymesh: bad position " + seq + " of " + origin);
        }
    }

    /**
     * Turns {@code channel} (a client connection that sent HELLO and PULL, with the client pipeline's
     * handlers already removed but for its decoder, named {@code decoderName}) into the sending side
     * of a link serving {@code pullerId} (a peer or a replica, by {@code role}) from its position
     * vector {@code from} (origins it lacks start at 0). {@code behind} holds the bytes of requests the
     * puller sent right behind its PULL that the client pipeline had already framed (taken over here):
     * the sender reads them first, then what the decoder still holds, then the socket.
     */
    public void serve(Channel channel, String decoderName, String role, String pullerId, String address,
                      Map<String, Long> from, ByteBuf behind) {
        boolean replica = role.equals("replica");
        ServeStatus status = new ServeStatus(pullerId, role, address);
        SendLink sender = new SendLink(channel, settings.nodeId(), pullerId, replica, from, backend,
                settings.databases(), settings.link(), () -> Stamp.of(clock.now(), settings.nodeId()),
                this::loggedOrigins, status, time, runtime, tailer);
        (replica ? replicaSenders : senders).add(sender);
        if (replica) {
            departedReplicas.remove(pullerId);
        }
        SenderHandler handler = new SenderHandler(sender, () -> {
            (replica ? replicaSenders : senders).remove(sender);
            if (replica) {
                departedReplicas.put(pullerId, new DepartedReplica(sender.ackedAll(), time.wallMillis()));
            } else {
                rememberAcks(pullerId, sender.ackedAll());
            }
        });
        channel.pipeline().addLast("keymesh-link", handler);
        if (behind.isReadable()) {
            handler.channelRead(channel.pipeline().context(handler), behind);
        } else {
            behind.release();
        }
        if (decoderName != null && channel.pipeline().get(decoderName) != null) {
            channel.pipeline().remove(decoderName);
        }
        sender.start();
        log.info("serving {} {} ({}) from {}", role, pullerId, address, from);
    }

    private void rememberAcks(String peerId, Map<String, Long> acked) {
        peerAcks.compute(peerId, (id, old) -> {
            Map<String, Long> merged = new java.util.TreeMap<>(old == null ? Map.of() : old);
            acked.forEach((origin, seq) -> merged.merge(origin, seq, Math::max));
            return Map.copyOf(merged);
        });
    }

    /**
     * The origins whose logs this node writes: its own and each peer's it pulls from (known once the
     * link's handshake named it). A replica link tails them before their first entry.
     */
    List<String> loggedOrigins() {
        List<String> out = new ArrayList<>(links.size() + 1);
        out.add(settings.nodeId());
        for (PullStatus link : pullStatuses) {
            String id = link.peerId();
            if (!id.isEmpty()) {
                out.add(id);
            }
        }
        return out;
    }

    /** Replica links served by this node right now. */
    public List<ServeStatus> replicas() {
        List<ServeStatus> out = new ArrayList<>(replicaSenders.size());
        for (SendLink s : replicaSenders) {
            out.add(s.status());
        }
        return out;
    }

    /**
     * Sends a local client's PUBLISH/SPUBLISH to every connected peer and replica, never stored. Peers
     * pass what they receive on to their own replicas only (see {@link #toReplicas}), so a subscriber on
     * any node, replicas included, gets each message once.
     */
    public void publish(boolean sharded, byte[] channel, byte[] message) {
        if (senders.isEmpty() && replicaSenders.isEmpty()) {
            return;
        }
        LinkFrame.Publish frame = new LinkFrame.Publish(sharded, channel, message);
        for (SendLink s : senders) {
            s.publish(frame);
        }
        toReplicas(frame);
    }

    /** Relays a publish to the replicas following this node (each replica follows one primary). */
    private void toReplicas(LinkFrame.Publish frame) {
        for (SendLink s : replicaSenders) {
            s.publish(frame);
        }
    }

    /** Links this node pulls from its peers. */
    public List<PullStatus> pulls() {
        return List.copyOf(pullStatuses);
    }

    /** Links peers pull from this node right now. */
    public List<ServeStatus> serves() {
        List<ServeStatus> out = new ArrayList<>(senders.size());
        for (SendLink s : senders) {
            out.add(s.status());
        }
        return out;
    }

    /**
     * The position of this node's log every configured peer has acknowledged (live or last known),
     * or -1 while some peer has never acknowledged since this node started.
     */
    public long ackedByAllPeers() {
        return settings.peers().isEmpty() ? -1 : peerFloor(settings.nodeId());
    }

    /**
     * The lowest position of {@code origin} every configured peer but {@code origin} itself has
     * acknowledged (live or last known: a peer acknowledges every origin's position after each
     * heartbeat, whichever link brought the entries), or -1 while some peer never has since this
     * node started; {@link Long#MAX_VALUE} when no peer but the origin itself is configured. Any of them may pull {@code origin}'s log from here (relaying) until it has it.
     */
    long peerFloor(String origin) {
        Map<String, Long> acks = new java.util.HashMap<>();
        peerAcks.forEach((peer, vector) -> acks.put(peer, vector.getOrDefault(origin, -1L)));
        for (SendLink s : senders) {
            acks.merge(s.status().peerId(), s.ackedOf(origin), Math::max);
        }
        acks.remove(origin);
        int expected = settings.peers().size() - (isPeer(origin) ? 1 : 0);
        if (acks.size() < expected) {
            return -1;
        }
        long min = Long.MAX_VALUE;          // no peer may pull it from here
        for (long a : acks.values()) {
            min = Math.min(min, a);
        }
        return min;
    }

    private boolean isPeer(String origin) {
        for (PullStatus p : pullStatuses) {
            if (p.peerId().equals(origin)) {
                return true;
            }
        }
        return false;
    }

    /**
     * How far this node's own log may be trimmed by acknowledgement: what every peer acknowledged
     * ({@link #ackedByAllPeers}), and no further than any replica linked now, or gone less than the log
     * retention age ago, has acknowledged ({@link #replicaFloor}), so a replica catching up or coming
     * back never finds its next entries gone; -1 for no trim by acknowledgement.
     */
    public long ownLogAckFloor() {
        return Math.min(ackedByAllPeers(), replicaFloor(settings.nodeId()));
    }

    /**
     * The lowest position of this node's own log that a link connected right now (a peer's or a
     * replica's) has acknowledged, or {@link Long#MAX_VALUE} when none is connected: entries after it
     * are still being read, so retention by age and bytes holds them (up to its hard cap).
     */
    long ownLogReadingFloor() {
        long floor = Long.MAX_VALUE;
        for (SendLink s : senders) {
            floor = Math.min(floor, s.ackedOf(settings.nodeId()));
        }
        for (SendLink s : replicaSenders) {
            floor = Math.min(floor, s.ackedOf(settings.nodeId()));
        }
        return floor;
    }

    /** Ids of the links connected now that have not acknowledged this node's own log up to {@code seq}. */
    List<String> ownLogReadersBelow(long seq) {
        List<String> out = new ArrayList<>();
        for (SendLink s : senders) {
            if (s.ackedOf(settings.nodeId()) < seq) {
                out.add(s.status().peerId());
            }
        }
        for (SendLink s : replicaSenders) {
            if (s.ackedOf(settings.nodeId()) < seq) {
                out.add(s.status().peerId());
            }
        }
        return out;
    }

    /**
     * How far {@code origin}'s log may be trimmed for replicas: up to what every replica linked now
     * has acknowledged of it, and every replica that left less than the log retention age ago had (it
     * may come back); {@link Long#MAX_VALUE} when no replica may still pull it from this node.
     */
    long replicaFloor(String origin) {
        long floor = Long.MAX_VALUE;
        for (SendLink s : replicaSenders) {
            floor = Math.min(floor, s.ackedOf(origin));
        }
        long since = time.wallMillis() - settings.logRetentionMillis();
        departedReplicas.values().removeIf(d -> d.leftMillis() < since);
        for (DepartedReplica d : departedReplicas.values()) {
            floor = Math.min(floor, d.acked().getOrDefault(origin, 0L));
        }
        return floor;
    }

    /** Links (peer and replica ids) the own log is held for past its retention age or bytes now; "" when none. */
    public String logHeldFor() {
        return logHeldFor;
    }

    void logHeldFor(String ids) {
        logHeldFor = ids;
    }

    /** Keys whose metadata the tombstone collection could not read at its last pass over each database (skipped). */
    public long metadataUnreadable() {
        return metadataUnreadable;
    }

    void metadataUnreadable(long keys) {
        metadataUnreadable = keys;
    }

    /** What a replica that disconnected had acknowledged, and when it left. */
    private record DepartedReplica(Map<String, Long> acked, long leftMillis) {
    }

    /** HELLOs refused because the peer's clock ran too far ahead, plus pulled links refused for the same. */
    public long clockRefusals() {
        long n = clockRefusals.get();
        for (PullStatus l : pullStatuses) {
            n += l.clockRefusals();
        }
        return n;
    }

    /** Links refused for the cluster secret: proofs this node found wrong or missing, as server and as puller. */
    public long secretRefusals() {
        return secretRefusals.get();
    }

    /** HELLOs refused because the peer or replica writes another log format (another keymesh version). */
    public long formatRefusals() {
        return formatRefusals.get();
    }

    /** The last refused handshake, or empty. */
    public String lastRefusal() {
        return lastRefusal;
    }

    /**
     * How many FLUSHDBs this node's backend applied each way (the library's flush counts, read by the
     * housekeeping every second): "logged" (keys to keep found in the logs), "scanned", and "scanned:&lt;why&gt;".
     */
    public Map<String, Long> flushWays() {
        return flushWays;
    }

    private volatile Map<String, LogStats> logStats = Map.of();

    /** Each origin's log as the housekeeping last read it (origin node id to its stats). */
    public Map<String, LogStats> logStats() {
        return logStats;
    }

    void logStats(Map<String, LogStats> stats) {
        logStats = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(stats));
    }

    void flushWays(Map<String, Long> ways) {
        flushWays = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(ways));   // sorted, for INFO
    }

    @Override
    public void close() {
        if (housekeeper != null) {
            housekeeper.close();
        }
        for (PullLink l : links) {
            l.close();
        }
        for (SendLink s : senders) {
            s.stop();
        }
        for (SendLink s : replicaSenders) {
            s.stop();
        }
        tailer.close();
        runtime.close();
    }
}
