package io.keymesh.proxy.session;

import io.keymesh.topology.failover.WriteQuorum;
import io.keymesh.topology.link.ServeStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The replication lines of INFO and the ROLE replies in the exact wire format Redis uses, which
 * HAProxy checks, Sentinel-style tools and client libraries parse.
 */
class ReplicationFormatsTest {
    private static final WriteQuorum QUORUM_ONE = new WriteQuorum(1, Duration.ofSeconds(10));

    @Test
    void slaveLineHasRedisFieldsInRedisOrder() {
        assertEquals("slave0:ip=10.0.0.5,port=6501,state=online,offset=42,lag=1",
                ReplicationLines.slaveLine(0, "10.0.0.5:6501", true, 42, 1));
        assertEquals("slave3:ip=::1,port=6502,state=wait_bgsave,offset=0,lag=0",
                ReplicationLines.slaveLine(3, "::1:6502", false, 0, 0));
    }

    @Test
    void hostPortSplitsAtTheLastColon() {
        assertArrayEquals(new String[] {"::1", "6501"}, ReplicationLines.hostPort("::1:6501"));
        assertArrayEquals(new String[] {"replica1", "0"}, ReplicationLines.hostPort("replica1"));
    }

    @Test
    void goodReplicasLineOnlyWithTheQuorumOnRightAfterConnectedSlaves() {
        assertEquals("connected_slaves:0", ReplicationLines.primaryLines(List.of(), WriteQuorum.OFF, 0));
        assertEquals("connected_slaves:0\r\nmin_slaves_good_slaves:0",
                ReplicationLines.primaryLines(List.of(), QUORUM_ONE, 0));
        ServeStatus starting = new ServeStatus("a1b2c3d4", "replica", "10.0.0.5:6501");
        assertEquals("connected_slaves:1\r\nmin_slaves_good_slaves:0\r\n"
                        + "slave0:ip=10.0.0.5,port=6501,state=wait_bgsave,offset=0,lag=5",
                ReplicationLines.primaryLines(List.of(starting), QUORUM_ONE, 5_000));
        assertEquals("connected_slaves:0", ReplicationLines.primaryLines(List.of(),
                new WriteQuorum(1, Duration.ZERO), 0), "a max lag of 0 turns the quorum off, as in Redis");
    }

    @Test
    void roleOfAPrimaryListsReplicasWithBulkPortAndOffset() {
        ServeStatus replica = new ServeStatus("a1b2c3d4", "replica", "10.0.0.5:6501");
        assertEquals("*3\r\n$6\r\nmaster\r\n:0\r\n*1\r\n*3\r\n$8\r\n10.0.0.5\r\n$4\r\n6501\r\n$1\r\n0\r\n",
                text(RoleReply.master(ByteBufAllocator.DEFAULT, 2, List.of(replica))));
        assertEquals("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n", text(RoleReply.master(ByteBufAllocator.DEFAULT, 2, List.of())));
    }

    @Test
    void roleOfAReplicaHasIntegerPortAndOffsetAndLinkState() {
        assertEquals("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6401\r\n$9\r\nconnected\r\n:7\r\n",
                text(RoleReply.slave(ByteBufAllocator.DEFAULT, 2, "127.0.0.1", 6401, true, 7)));
        assertEquals("*5\r\n$5\r\nslave\r\n$1\r\n?\r\n:-1\r\n$7\r\nconnect\r\n:0\r\n",
                text(RoleReply.slave(ByteBufAllocator.DEFAULT, 2, "?", -1, false, 0)));
    }

    private static String text(ByteBuf buf) {
        try {
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }
}
