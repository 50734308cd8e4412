package io.keymesh.proxy.session;

import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NodeContext;
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
 * The KEYMESH admin and link commands. HELLO and PULL are how a peer opens a link on the client
 * port (the cluster secret is their authentication, so they need no AUTH); PULL hands the
 * connection over to the mesh's log sender. PEERS and STATUS report the mesh as RESP data, the
 * same fields INFO replication shows.
 */
public final class KeymeshCommands {
    private static final AttributeKey<Hello> PEER = AttributeKey.valueOf("keymesh.peer");

    /** Reads km:pos[node] in the log database, after every earlier request of the session on its link. */
    private static final String POSITION_SCRIPT = "redis.call('SELECT', ARGV[1]) "
            + "local v = redis.call('HGET', 'km:pos', ARGV[2]) return {ARGV[2], tonumber(v or '0')}";

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
            if (!sub.equals("HELLO") && !sub.equals("PULL") && !s.authenticated()) {
                s.reply(Replies.of(Replies.NOAUTH));
                return;
            }
            Mesh mesh = node.mesh();
            if (mesh == null && !sub.equals("STATUS")) {
                s.reply(error(s, "ERR keymesh: this node has no mesh (keymesh.peers is empty)"));
                return;
            }
            switch (sub) {
                case "HELLO" -> hello(s, r, mesh);
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
            s.channel().attr(PEER).set(hello);
            Replies.Writer w = new Replies.Writer(s.channel().alloc(), s.protocol()).array(3);
            w.bulk(reply.nodeId()).bulk(reply.stamp()).bulk(Integer.toString(reply.databases()));
            s.reply(w.done());
        } catch (IllegalArgumentException e) {
            s.reply(error(s, "ERR keymesh: " + e.getMessage()));
        } catch (HelloRefusal e) {
            s.reply(error(s, e.getMessage()));
        }
    }

    private void pull(ClientSession s, RespRequest r, Mesh mesh) {
        Hello hello = s.channel().attr(PEER).get();
        if (hello == null) {
            s.reply(error(s, "ERR keymesh: KEYMESH HELLO must come first"));
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
        s.whenDrained(() -> ch.eventLoop().execute(() -> {
            s.closed();                                   // no longer a client: leaves the session registry
            ch.pipeline().remove("session");
            mesh.serve(ch, "resp", role, hello.nodeId(), hello.advertise(), from);
            ch.config().setAutoRead(true);
        }));
    }

    /**
     * KEYMESH POS: this node's id and its own log position, read after every earlier request of this
     * connection has run (a replica forwarding a write waits until it has applied this position).
     */
    private void position(ClientSession s) {
        String logDb = Integer.toString(2 * node.config().storage().databases());
        forwarder.forward(s, io.keymesh.storage.conn.BackendConnector.encode("EVAL_RO", POSITION_SCRIPT, "0", logDb,
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

    private static io.netty.buffer.ByteBuf error(ClientSession s, String text) {
        return Replies.error(s.channel().alloc(), text);
    }
}
