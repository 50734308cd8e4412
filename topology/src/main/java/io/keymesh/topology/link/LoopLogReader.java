package io.keymesh.topology.link;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.ReplyScanner;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LogEntry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

import java.util.List;
import java.util.function.Consumer;

/**
 * A serving link's log reads made on its own event loop, over a non-blocking backend connection of
 * the link's own (db 2N selected): the {@code XRANGE} leaves at the end of the loop's turn and its
 * reply is read in place where it arrives, so a read costs no hand-off to the backend threads and
 * back. A read this way cannot answer (an error reply such as -BUSY, the connection closed, a
 * reply not understood) hands its caller null, and the caller reads the blocking way
 * ({@link LinkBackend}), which waits out a busy backend. All methods run on the loop.
 */
final class LoopLogReader implements LinkListener {
    private final BackendConnector connector;
    private final EventLoop loop;
    private final int db;
    private BackendLink link;          // opened at the first read, and again after it closed
    private boolean unusable;          // this loop cannot carry a backend connection: always the blocking way
    private boolean closed;

    /** Reads over connections to {@code backend} on {@code loop}, with {@code db} (the log's database) selected. */
    LoopLogReader(BackendAccess backend, EventLoop loop, int db, TimeSource time) {
        this.connector = new BackendConnector(backend.endpoint(), backend.username(), backend.password(),
                backend.connectTimeoutMillis(), null, time);
        this.loop = loop;
        this.db = db;
    }

    /**
     * Reads up to {@code count} entries of {@code origin}'s log after {@code afterSeq}; {@code done}
     * gets them on the loop, or null when this way could not read them.
     */
    void range(String origin, long afterSeq, int count, Consumer<List<LogEntry>> done) {
        BackendLink open = open();
        if (open == null) {
            done.accept(null);
            return;
        }
        List<String> args = ReplicationLog.readAfter(origin, afterSeq, count);
        open.send(RespCommand.encode(args.toArray(String[]::new)), new ReplySink() {
            @Override
            public void onReply(ByteBuf buffer, int index, int length) {
                List<LogEntry> entries = null;
                if (!ReplyScanner.isError(buffer, index)) {
                    try {
                        entries = LogStore.entries(new ReplyReader(buffer.slice(index, length)));
                    } catch (RuntimeException e) {
                        entries = null;         // the blocking way reads it again and reports what is wrong
                    }
                }
                done.accept(entries);
            }

            @Override
            public void onFailure(String error) {
                done.accept(null);
            }
        });
    }

    /** Closes the connection; reads after this go the blocking way. */
    void close() {
        closed = true;
        if (link != null) {
            link.close("ERR keymesh: link closed");
            link = null;
        }
    }

    private BackendLink open() {
        if (closed || unusable) {
            return null;
        }
        if (link == null || !link.isOpen()) {
            try {
                link = connector.connect(loop, db, 2, this);
            } catch (RuntimeException e) {
                unusable = true;            // a unix socket backend on a loop without epoll
                return null;
            }
        }
        return link;
    }

    @Override
    public void onUnsolicited(ByteBuf buffer, int index, int length) {
        // none on a connection that only reads ranges
    }

    @Override
    public void onClosed(BackendLink closedLink) {
        if (link == closedLink) {
            link = null;
        }
    }
}
