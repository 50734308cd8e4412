package io.keymesh.proxy.server;

import io.keymesh.proxy.command.CommandTable;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.config.NodeId;
import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.route.BackendStatus;
import io.keymesh.proxy.session.SessionRegistry;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.proxy.acl.AclUsers;
import io.keymesh.topology.node.Mesh;

/**
 * What every client pipeline of a node shares: config, command table, sessions, backend, and the
 * node's identity and clock (one per node: every local write's timestamp comes from {@code clock}).
 *
 * @param replicating true when writes go through the replicated write path (config replication.enabled)
 * @param mesh        the replication links (peers served and pulled), null when not replicating
 * @param replica     the replica role (upstream tracking and link), null on a primary
 * @param tls         the node's TLS certificate and refusal counts, null without TLS
 * @param users       the node's users and their ACL rules
 */
public record NodeContext(
        KeymeshConfig config,
        CommandTable commands,
        SessionRegistry sessions,
        BackendStatus backend,
        BackendConnector connector,
        long startedMillis,
        int ioThreads,
        NodeId nodeId,
        HybridClock clock,
        boolean replicating,
        Mesh mesh,
        ReplicaRole replica,
        NettyTls tls,
        AclUsers users) {

    /** True when this node replicates with peers ({@link #mesh()} is not null). */
    public boolean meshEnabled() {
        return mesh != null;
    }

    /** Netty TLS for connections this node opens to other nodes' client ports, or null when those are plain. */
    public NettyTls linkTls() {
        return tls != null && tls.nodeTls().settings().replication() ? tls : null;
    }
}
