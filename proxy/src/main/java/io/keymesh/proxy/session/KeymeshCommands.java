package io.keymesh.proxy.session;

import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespFrameDecoder;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.proxy.server.TlsPeer;
import io.keymesh.topology.node.HelloRefusal;
import io.keymesh.topology.node.Mesh;
import io.keymesh.topology.node.MeshReport;
import io.keymesh.topology.wire.Hello;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The KEYMESH admin and link commands. HELLO, AUTH and PULL are how a peer or replica opens a link
 * on the client port; PULL hands the connection over to the mesh's log sender. Who may link: with a
 * cluster secret, a node that proved it (HELLO, then AUTH with its proof; no client AUTH needed);
 * without one, a connection that passed the client's AUTH (when requirepass or users are set) or
 * whose TLS client certificate was verified. PEERS, STATUS and POS report the mesh and answer
 * NOAUTH before the client's AUTH.
 */
public final class KeymeshCommands {
    /** The link handshake of this connection so far: the peer's HELLO, this node's nonce, whether the peer proved the secret. */
    private record Greeting(Hello hello, String serverNonce, boolean proven) {
    }

    private static final AttributeKey<Greeting> GREETING = AttributeKey.valueOf("keymesh.greeting");
    /**
     * Set to TRUE on a TLS connection whose client certificate was verified against
     * keymesh.tls.ca-cert-file: link authentication when no cluster secret is set.
     */

    private final NodeContext node;
    private final LocalCommands.Forwarder forwarder;

    public KeymeshCommands(NodeContext node, LocalCommands.Forwarder forwarder) {
        this.node = node;
        this.forwarder = forwarder;
    }

    /** Answers a KEYMESH request; releases it. */
    public void handle(ClientSession s, RespRequest r) {
        try {
            String sub = r.argc() > 1 ? r.argString(1).toUpperCase(Locale.ROOT) : "";
            boolean link = sub.equals("HELLO") || sub.equals("AUTH") || sub.equals("PULL");
            Mesh mesh = node.mesh();
            if (!s.authenticated() && !(link && mesh != null && (mesh.requiresProof() || tlsVerified(s)))) {
                s.reply(Replies.of(Replies.NOAUTH));
                return;
            }
            if (mesh == null && !sub.equals("STATUS")) {
                s.reply(error(s, "ERR keymesh: this node has no mesh (keymesh.peers is empty)"));
                return;
            }
            switch (sub) {
                case "HELLO" -> hello(s, r, mesh);
                case "AUTH" -> auth(s, r, mesh);
                case "PULL" -> pull(s, r, mesh);
                case "PEERS" -> peers(s, mesh);
                case "STATUS" -> status(s, mesh);
                case "POS" -> position(s);
                default -> s.reply(error(s, "ERR unknown subcommand '" + (r.argc() > 1 ? r.argString(1) : "")
                        + "'. Try KEYMESH PEERS, KEYMESH STATUS."));
            }
        } finally {
            r.release();
        }
    }

    private void hello(ClientSession s, RespRequest r, Mesh mesh) {
        List<String> rest = new ArrayList<>();
        for (int i = 2; i < r.argc(); i++) {
            rest.add(r.argString(i));
        }
        try {
            Hello hello = Hello.parse(rest);
            Hello.Reply reply = mesh.hello(hello);
            s.channel().attr(GREETING).set(new Greeting(hello, reply.nonce(), false));
            if (tlsVerified(s)) {
                liftUnauthenticatedLimits(s);
            }
            Replies.Writer w = new Replies.Writer(s.channel().alloc(), s.protocol()).array(5);
            w.bulk(reply.nodeId()).bulk(reply.stamp()).bulk(Integer.toString(reply.databases()))
                    .bulk(reply.nonce()).bulk(reply.proof());
            s.reply(w.done());
        } catch (IllegalArgumentException e) {
            s.reply(error(s, "ERR keymesh: " + e.getMessage()));
        } catch (HelloRefusal e) {
            s.reply(error(s, e.getMessage()));
        }
    }

    /** KEYMESH AUTH &lt;proof&gt;: the puller proves the cluster secret; a wrong proof closes the connection. */
    private void auth(ClientSession s, RespRequest r, Mesh mesh) {
        Greeting greeting = s.channel().attr(GREETING).get();
        if (greeting == null) {
            s.reply(error(s, "ERR keymesh: KEYMESH HELLO must come first"));
            return;
        }
        if (r.argc() != 3) {
            s.reply(error(s, "ERR keymesh: KEYMESH AUTH needs <proof>"));
            return;
        }
        try {
            mesh.authenticate(greeting.hello(), greeting.serverNonce(), r.argString(2));
        } catch (HelloRefusal e) {
            s.channel().attr(GREETING).set(null);
            s.reply(error(s, e.getMessage()));
            s.closeAfterReplies();
            return;
        }
        s.channel().attr(GREETING).set(new Greeting(greeting.hello(), greeting.serverNonce(), true));
        liftUnauthenticatedLimits(s);
        s.reply(Replies.of(Replies.OK));
    }

    private void pull(ClientSession s, RespRequest r, Mesh mesh) {
        Greeting greeting = s.channel().attr(GREETING).get();
        if (greeting == null) {
            s.reply(error(s, "ERR keymesh: KEYMESH HELLO must come first"));
            return;
        }
        Hello hello = greeting.hello();
        try {
            if (mesh.requiresProof() && !greeting.proven()) {
                throw mesh.unproven(hello);
            }
            mesh.admit(hello);
        } catch (HelloRefusal e) {
            s.reply(error(s, e.getMessage()));
            return;
        }
        String role = r.argc() > 2 ? r.argString(2).toLowerCase(Locale.ROOT) : "";
        if (r.argc() < 3 || r.argc() % 2 == 0) {
            s.reply(error(s, "ERR keymesh: KEYMESH PULL needs <peer|replica> [<origin> <seq> ...]"));
            return;
        }
        Map<String, Long> from = new java.util.TreeMap<>();
        try {
            mesh.checkPull(role, "", 0);
            for (int i = 3; i < r.argc(); i += 2) {
                long seq = r.argLong(i + 1);
                mesh.checkPull(role, r.argString(i), seq);
                from.put(r.argString(i), seq);
            }
        } catch (HelloRefusal e) {
            s.reply(error(s, e.getMessage()));
            return;
        }
        Channel ch = s.channel();
        ch.config().setAutoRead(false);
        s.handOverToLink();                               // what arrives behind the PULL is the sender's to read
        s.whenDrained(() -> ch.eventLoop().execute(() -> {
            if (!ch.isActive()) {
                s.closed();
                return;
            }
            io.netty.buffer.ByteBuf behind = s.takeKeptForLink();
            s.closed();                                   // no longer a client: leaves the session registry
            ch.pipeline().remove("session");
            mesh.serve(ch, "resp", role, hello.nodeId(), hello.advertise(), from, behind);
            ch.config().setAutoRead(true);
        }));
    }

    /**
     * KEYMESH POS: this node's id and its own log position, read after every earlier request of this
     * connection has run (a replica forwarding a write waits until it has applied this position).
     */
    private void position(ClientSession s) {
        forwarder.forward(s, io.keymesh.storage.apply.ApplyCalls.positionRequest(node.config().storage().databases(),
                node.nodeId().value()), null);
    }

    private void peers(ClientSession s, Mesh mesh) {
        List<Map<String, String>> peers = MeshReport.peers(mesh, node.clock().time().wallMillis());
        Replies.Writer w = new Replies.Writer(s.channel().alloc(), s.protocol()).array(peers.size());
        for (Map<String, String> p : peers) {
            map(w, p);
        }
        s.reply(w.done());
    }

    private void status(ClientSession s, Mesh mesh) {
        if (mesh == null) {
            Replies.Writer w = new Replies.Writer(s.channel().alloc(), s.protocol()).map(2);
            w.bulk("role").bulk(node.config().role()).bulk("mesh").bulk("off");
            s.reply(w.done());
            return;
        }
        Map<String, String> summary = MeshReport.summary(mesh, node.clock().time().wallMillis());
        Replies.Writer w = new Replies.Writer(s.channel().alloc(), s.protocol()).map(summary.size() + 1);
        w.bulk("role").bulk(node.config().role());
        for (Map.Entry<String, String> e : summary.entrySet()) {
            w.bulk(e.getKey()).bulk(e.getValue());
        }
        s.reply(w.done());
    }

    private static void map(Replies.Writer w, Map<String, String> fields) {
        w.map(fields.size());
        for (Map.Entry<String, String> e : fields.entrySet()) {
            w.bulk(e.getKey()).bulk(e.getValue());
        }
    }

    /** An authenticated link's PULL may list every origin: the decoder's limits for unauthenticated clients no longer apply. */
    private static void liftUnauthenticatedLimits(ClientSession s) {
        RespFrameDecoder decoder = s.channel().pipeline().get(RespFrameDecoder.class);
        if (decoder != null) {
            decoder.authenticated(true);
        }
    }

    private static boolean tlsVerified(ClientSession s) {
        return TlsPeer.verified(s.channel());
    }

    private static io.netty.buffer.ByteBuf error(ClientSession s, String text) {
        return Replies.error(s.channel().alloc(), text);
    }
}
