package io.keymesh.topology.wire;

import io.keymesh.topology.clock.Stamp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The first request of a link:
 * {@code KEYMESH HELLO <node-id> <role> <advertise> <stamp> <log-format> <client-nonce>}. The log
 * format is the version of the log entries' fields that the sender writes and reads
 * ({@link #LOG_FORMAT}); the nonce is the puller's challenge of the serving node ({@link PeerAuth}).
 * No secret travels: the serving node answers with its proof ({@link Reply}), and a puller holding
 * the cluster secret answers with its own in {@code KEYMESH AUTH <client-proof>} before
 * {@code KEYMESH PULL}.
 */
public record Hello(String nodeId, String role, String advertise, String stamp, int logFormat, String nonce) {

    /**
     * The version of this handshake, which is separate from the log format. 2: HELLO carries a nonce,
     * the reply a nonce and the serving node's proof, and the puller proves itself with KEYMESH AUTH
     * (no secret on the wire). 1: HELLO carried the cluster secret in clear as its first argument, and
     * only the serving node checked it. A node of one version cannot link with a node of the other;
     * each says so in its refusal.
     */
    public static final int HANDSHAKE = 2;

    /**
     * The log entry format this build writes and reads. 7: a snapshot's counted members
     * (key-dump items) carry what their register had seen of each total, also those in
     * the dumped value. 6: streams merge per entry and consumer
     * groups per group and pending entry (ops {@code xa xv xd xt xg xgc xgd xl xp xk}; a stream's
     * trim floors, newest XADD and group registers as a last key-dump item of type
     * {@code xstream}). 5: list writes carry their elements ({@code H}, {@code T}) and the ids of
     * the elements they removed ({@code X}) instead of the list, and snapshots ship lists element by
     * element; function libraries travel as entries (ops {@code F}, {@code L}) and in snapshots
     * ({@code SNAPLIB}); a script's writes share a transaction id and its publishes travel with
     * them. 4: snapshots carry each database's flush
     * epoch ({@code SNAPFLUSH}) and members of another type than their key's (key-dump
     * items). 3: an increment's total names the flush epoch it counts from (field {@code q}). 2: plain SETs of one backend call may share an entry,
     * with a stamp per SET. 1 (never sent in a HELLO): one write per entry. Nodes of different
     * formats refuse to link, since each would misread the other's entries.
     */
    public static final int LOG_FORMAT = 7;

    /** A HELLO in this build's log format with a fresh nonce. */
    public Hello(String nodeId, String role, String advertise, String stamp) {
        this(nodeId, role, advertise, stamp, LOG_FORMAT, PeerAuth.nonce());
    }

    /** The request's arguments, "KEYMESH" first. */
    public List<byte[]> toArgs() {
        List<byte[]> args = new ArrayList<>(8);
        for (String s : new String[] {"KEYMESH", "HELLO", nodeId, role, advertise, stamp, Integer.toString(logFormat), nonce}) {
            args.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return args;
    }

    /** Parses the arguments after "KEYMESH HELLO"; throws IllegalArgumentException with the reason. */
    public static Hello parse(List<String> rest) {
        if (rest.size() == 6 && !NodeIds.valid(rest.get(0)) && NodeIds.valid(rest.get(1))) {
            throw new IllegalArgumentException("KEYMESH HELLO of link handshake 1 (the cluster secret in clear); this node "
                    + "speaks link handshake " + HANDSHAKE + " (run the same keymesh version on every node)");
        }
        if (rest.size() != 6) {
            throw new IllegalArgumentException("KEYMESH HELLO needs <node-id> <role> <advertise> <stamp> <log-format> "
                    + "<nonce> (this node reads log format " + LOG_FORMAT + " and speaks link handshake " + HANDSHAKE
                    + "; run the same keymesh version on every node)");
        }
        int format;
        try {
            format = Integer.parseInt(rest.get(4));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad log format '" + rest.get(4) + "' (a number)");
        }
        Hello h = new Hello(rest.get(0), rest.get(1), rest.get(2), rest.get(3), format, rest.get(5));
        if (!PeerAuth.validNonce(h.nonce)) {
            throw new IllegalArgumentException("bad nonce (" + 2 * PeerAuth.NONCE_BYTES + " lower-case hex characters)");
        }
        if (!NodeIds.valid(h.nodeId)) {
            throw new IllegalArgumentException("bad node id '" + h.nodeId + "' (8 lower-case hex characters)");
        }
        if (!h.role.equals("primary") && !h.role.equals("replica")) {
            throw new IllegalArgumentException("bad role '" + h.role + "' (primary or replica)");
        }
        Stamp.hlc(h.stamp);
        return h;
    }

    /**
     * The answer to a HELLO: the serving node's id, stamp and number of user databases, its nonce,
     * and its proof of the cluster secret ({@link PeerAuth#serverProof}; empty when it has none).
     */
    public record Reply(String nodeId, String stamp, int databases, String nonce, String proof) {
        /** As a RESP array of five bulks. */
        public List<byte[]> toArgs() {
            return List.of(RespWriter.bytes(nodeId), RespWriter.bytes(stamp), RespWriter.bytes(databases),
                    RespWriter.bytes(nonce), RespWriter.bytes(proof));
        }

        /** Parses the reply value; throws IllegalArgumentException when it is not a HELLO reply. */
        public static Reply parse(Object value) {
            if (value instanceof RespError e) {
                throw new IllegalArgumentException(e.message());
            }
            if (value instanceof List<?> old && old.size() == 3) {
                throw new IllegalArgumentException("the node speaks link handshake 1 (the cluster secret in clear), this "
                        + "node link handshake " + HANDSHAKE + " (run the same keymesh version on every node)");
            }
            if (!(value instanceof List<?> list) || list.size() != 5) {
                throw new IllegalArgumentException("unexpected KEYMESH HELLO reply: " + value);
            }
            String id = Frames.text(list.get(0));
            String stamp = Frames.text(list.get(1));
            Stamp.hlc(stamp);
            String nonce = Frames.text(list.get(3));
            if (!PeerAuth.validNonce(nonce)) {
                throw new IllegalArgumentException("bad nonce in the KEYMESH HELLO reply");
            }
            return new Reply(id, stamp, Integer.parseInt(Frames.text(list.get(2))), nonce, Frames.text(list.get(4)));
        }
    }
}
