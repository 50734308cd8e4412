package io.keymesh.topology.node;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LogSender;
import io.keymesh.topology.link.PeerLink;
import io.keymesh.topology.link.PullStatus;
import io.keymesh.topology.link.ReplicaSender;
import io.keymesh.topology.link.SenderHandler;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.PeerAuth;
import io.keymesh.topology.clock.Stamp;
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
 * A node's part in the mesh: the {@link PeerLink} it runs to each configured peer, the
 * {@link LogSender}s it runs for nodes pulling from it, the handshake checks (proofs of the cluster
 * secret both ways, log format, clock offset), the live broadcast of PUBLISH to connected peers and replicas, and log housekeeping.
 */
public final class Mesh implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Mesh.class);

    private final MeshSettings settings;
    private final HybridClock clock;
    private final TimeSource time;
    private final BackendAccess backend;
    private final List<PeerLink> links = new CopyOnWriteArrayList<>();
    private final List<LogSender> senders = new CopyOnWriteArrayList<>();
    private final List<ReplicaSender> replicaSenders = new CopyOnWriteArrayList<>();
    private final Map<String, Long> peerAcks = new ConcurrentHashMap<>();
    private final Map<String, DepartedReplica> departedReplicas = new ConcurrentHashMap<>();
    private volatile String logHeldFor = "";
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

    /** Starts a link to every configured peer and the housekeeping thread. */
    public void start() {
        PeerLink.Self self = new PeerLink.Self(settings.nodeId(), settings.role(), settings.advertise(),
                settings.clusterSecret(), settings.databases());
        for (String peer : settings.peers()) {
            PeerLink link = new PeerLink(peer, self, clock, time, backend, settings.link());
            link.onPublish(this::toReplicas);
            link.onSecretRefusal(this::refusedByPuller);
            links.add(link);
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

    /** Checks a KEYMESH PULL after a successful HELLO; a refusal's message is the error reply. */
    public void checkPull(String role, String origin, long seq) throws HelloRefusal {
        if (role.equals("replica")) {
            if (!settings.role().equals("primary")) {
                throw new HelloRefusal("ERR keymesh: this node is a " + settings.role() + "; replicas follow primaries");
            }
            if (seq < 0) {
                throw new HelloRefusal("ERR keymesh: bad position " + seq);
            }
            return;
        }
        if (!role.equals("peer")) {
            throw new HelloRefusal("ERR keymesh: PULL needs 'peer' or 'replica', got '" + role + "'");
        }
        if (!origin.equals(settings.nodeId())) {
            throw new HelloRefusal("ERR keymesh: a peer pulls only this node's own log (" + settings.nodeId()
                    + "), not " + origin);
        }
        if (seq < 0) {
            throw new HelloRefusal("ERR keymesh: bad position " + seq);
        }
    }

    /**
     * Turns {@code channel} (a client connection that sent HELLO and PULL, with the client pipeline's
     * handlers already removed but for its decoder, named {@code decoderName}) into the sending side
     * of a link serving this node's log from {@code fromSeq}.
     */
    public void serve(Channel channel, String decoderName, String peerId, String address, long fromSeq) {
        ServeStatus status = new ServeStatus(peerId, "peer", address);
        LogSender sender = new LogSender(channel, settings.nodeId(), fromSeq, backend, settings.databases(),
                settings.link(), () -> Stamp.of(clock.now(), settings.nodeId()), status);
        senders.add(sender);
        channel.pipeline().addLast("keymesh-link", new SenderHandler(sender, () -> {
            senders.remove(sender);
            peerAcks.merge(peerId, status.ackedSeq(), Math::max);
        }));
        if (decoderName != null && channel.pipeline().get(decoderName) != null) {
            channel.pipeline().remove(decoderName);
        }
        Thread thread = new Thread(() -> {
            try {
                sender.run();
            } finally {
                peerAcks.merge(peerId, status.ackedSeq(), Math::max);
            }
        }, "keymesh-send-" + peerId);
        thread.setDaemon(true);
        thread.start();
        log.info("serving log of {} to peer {} ({}) from {}", settings.nodeId(), peerId, address, fromSeq);
    }

    /**
     * Turns {@code channel} (as for {@link #serve}) into the sending side of a replica's link, serving
     * every origin's log from the replica's position vector {@code from} (origins it lacks start at 0).
     */
    public void serveReplica(Channel channel, String decoderName, String replicaId, String address,
                             Map<String, Long> from) {
        ServeStatus status = new ServeStatus(replicaId, "replica", address);
        ReplicaSender sender = new ReplicaSender(channel, from, backend, settings.databases(), settings.link(),
                () -> Stamp.of(clock.now(), settings.nodeId()), this::loggedOrigins, status);
        replicaSenders.add(sender);
        departedReplicas.remove(replicaId);
        channel.pipeline().addLast("keymesh-link", new SenderHandler(sender, () -> {
            replicaSenders.remove(sender);
            departedReplicas.put(replicaId, new DepartedReplica(sender.ackedAll(), time.wallMillis()));
        }));
        if (decoderName != null && channel.pipeline().get(decoderName) != null) {
            channel.pipeline().remove(decoderName);
        }
        Thread thread = new Thread(sender, "keymesh-send-replica-" + replicaId);
        thread.setDaemon(true);
        thread.start();
        log.info("serving every origin's log to replica {} ({}) from {}", replicaId, address, from);
    }

    /**
     * The origins whose logs this node writes: its own and each peer's it pulls from (known once the
     * link's handshake named it). A replica link tails them before their first entry.
     */
    List<String> loggedOrigins() {
        List<String> out = new ArrayList<>(links.size() + 1);
        out.add(settings.nodeId());
        for (PeerLink link : links) {
            String id = link.status().peerId();
            if (!id.isEmpty()) {
                out.add(id);
            }
        }
        return out;
    }

    /** Replica links served by this node right now. */
    public List<ServeStatus> replicas() {
        List<ServeStatus> out = new ArrayList<>(replicaSenders.size());
        for (ReplicaSender s : replicaSenders) {
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
        for (LogSender s : senders) {
            s.publish(frame);
        }
        toReplicas(frame);
    }

    /** Relays a publish to the replicas following this node (each replica follows one primary). */
    private void toReplicas(LinkFrame.Publish frame) {
        for (ReplicaSender s : replicaSenders) {
            s.publish(frame);
        }
    }

    /** Links this node pulls from its peers. */
    public List<PullStatus> pulls() {
        List<PullStatus> out = new ArrayList<>(links.size());
        for (PeerLink l : links) {
            out.add(l.status());
        }
        return out;
    }

    /** Links peers pull from this node right now. */
    public List<ServeStatus> serves() {
        List<ServeStatus> out = new ArrayList<>(senders.size());
        for (LogSender s : senders) {
            out.add(s.status());
        }
        return out;
    }

    /**
     * The position of this node's log every configured peer has acknowledged (live or last known),
     * or -1 while some peer has never acknowledged since this node started.
     */
    public long ackedByAllPeers() {
        Map<String, Long> acks = new java.util.HashMap<>(peerAcks);
        for (LogSender s : senders) {
            acks.merge(s.status().peerId(), s.status().ackedSeq(), Math::max);
        }
        if (settings.peers().isEmpty() || acks.size() < settings.peers().size()) {
            return -1;
        }
        long min = Long.MAX_VALUE;
        for (long a : acks.values()) {
            min = Math.min(min, a);
        }
        return min;
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
        for (LogSender s : senders) {
            floor = Math.min(floor, s.status().ackedSeq());
        }
        for (ReplicaSender s : replicaSenders) {
            floor = Math.min(floor, s.ackedOf(settings.nodeId()));
        }
        return floor;
    }

    /** Ids of the links connected now that have not acknowledged this node's own log up to {@code seq}. */
    List<String> ownLogReadersBelow(long seq) {
        List<String> out = new ArrayList<>();
        for (LogSender s : senders) {
            if (s.status().ackedSeq() < seq) {
                out.add(s.status().peerId());
            }
        }
        for (ReplicaSender s : replicaSenders) {
            if (s.ackedOf(settings.nodeId()) < seq) {
                out.add(s.status().peerId());
            }
        }
        return out;
    }

    /**
     * How far {@code origin}'s log may be trimmed for replicas: up to what every replica linked now
     * has acknowledged of it, and every replica that left less than the log retention age ago had (it
     * may come back); {@link Long#MAX_VALUE} when no replica may still pull it from this node. For
     * another origin's log that is all that holds it here: peers pull only an origin's own log.
     */
    long replicaFloor(String origin) {
        long floor = Long.MAX_VALUE;
        for (ReplicaSender s : replicaSenders) {
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

    /** What a replica that disconnected had acknowledged, and when it left. */
    private record DepartedReplica(Map<String, Long> acked, long leftMillis) {
    }

    /** HELLOs refused because the peer's clock ran too far ahead, plus pulled links refused for the same. */
    public long clockRefusals() {
        long n = clockRefusals.get();
        for (PeerLink l : links) {
            n += l.status().clockRefusals();
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
     * How many FLUSHDBs this node's backend applied each way (km:flushes, read by the housekeeping
     * every second): "logged" (keys to keep found in the logs), "scanned", and "scanned:&lt;why&gt;".
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
        for (PeerLink l : links) {
            l.close();
        }
        for (LogSender s : senders) {
            s.stop();
        }
        for (ReplicaSender s : replicaSenders) {
            s.stop();
        }
    }
}
