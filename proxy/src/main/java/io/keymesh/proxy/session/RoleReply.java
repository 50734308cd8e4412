package io.keymesh.proxy.session;

import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.topology.health.UpstreamAddress;
import io.keymesh.topology.link.ServeStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.List;
import java.util.Optional;

/**
 * ROLE in Redis' format, answered by keymesh: a primary says {@code master <offset> [[ip port offset] ...]}
 * for the replicas pulling from it; a replica says {@code slave <host> <port> <state> <offset>} for the
 * upstream it follows (health checks read this: a replica is never taken as an upstream).
 */
final class RoleReply {
    private RoleReply() {
    }

    static ByteBuf of(NodeContext node, ByteBufAllocator alloc, int protocol) {
        ReplicaRole replica = node.replica();
        if (replica != null) {
            Optional<UpstreamAddress> up = replica.current();
            return slave(alloc, protocol, up.map(UpstreamAddress::host).orElse("?"),
                    up.map(UpstreamAddress::port).orElse(-1), replica.linkUp(), replica.status().offset());
        }
        return master(alloc, protocol, node.mesh() == null ? List.of() : node.mesh().replicas());
    }

    /** {@code slave <host> <port> connected|connect <offset>}, port and offset as integers, as Redis. */
    static ByteBuf slave(ByteBufAllocator alloc, int protocol, String host, int port, boolean linkUp, long offset) {
        Replies.Writer w = new Replies.Writer(alloc, protocol);
        w.array(5).bulk("slave").bulk(host).integer(port).bulk(linkUp ? "connected" : "connect").integer(offset);
        return w.done();
    }

    /** {@code master <offset> [[ip port offset] ...]}: each replica's ip, port and offset as bulk strings, as Redis. */
    static ByteBuf master(ByteBufAllocator alloc, int protocol, List<ServeStatus> replicas) {
        Replies.Writer w = new Replies.Writer(alloc, protocol);
        long offset = 0;
        for (ServeStatus r : replicas) {
            offset = Math.max(offset, r.headSeq());
        }
        w.array(3).bulk("master").integer(offset).array(replicas.size());
        for (ServeStatus r : replicas) {
            String[] hostPort = ReplicationLines.hostPort(r.address());
            w.array(3).bulk(hostPort[0]).bulk(hostPort[1]).bulk(Long.toString(r.ackedSeq()));
        }
        return w.done();
    }
}
