package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sending side of links against a real redis-server holding a log ({@code km:log:A} written
 * with XADD as the apply library writes it) and a real loopback connection: what a peer or a
 * replica receives, batch by batch, and what the shared reader reads.
 */
class LogSendingIT {
    private static final int DATABASES = 1;
    private static final String ORIGIN = "A";

    private Path root;
    private RedisProcess redis;
    private BackendAccess backend;
    private EventLoopGroup group;
    private LinkRuntime runtime;
    private LogTailer tailer;

    @BeforeEach
    void start() throws IOException {
        root = Files.createTempDirectory("keymesh-sending-it");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        redis = new RedisProcess(new RedisServerSpec(null, root.resolve("r"), false, "everysec", 16,
                Map.of("port", Integer.toString(port), "bind", "127.0.0.1")));
        redis.start(Duration.ofSeconds(20));
        backend = new BackendAccess(new BackendEndpoint.Tcp("127.0.0.1", port), null, null, 2000);
        runtime = new LinkRuntime();
        tailer = new LogTailer(backend, DATABASES, LinkSettings.defaults().tailBlockMillis(), runtime);
        tailer.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).await(5000);
        }
        tailer.close();
        runtime.close();
        if (redis != null) {
            redis.stop(Duration.ofSeconds(10));
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aReplicaReceivesATransactionLargerThanOneReadInOneBatch() throws Exception {
        // 700 entries of one transaction (more than a read and than a batch's bounds), then 10 more
        appendLog(1, 700, "9", 600);
        appendLog(701, 10, "0", 600);
        try (Socket client = serve(ch -> new SendLink(ch, "P", "R", true, Map.of(ORIGIN, 0L), backend, DATABASES,
                LinkSettings.defaults(), () -> "0000", List::of, new ServeStatus("R", "replica", "test"),
                TimeSource.system(), runtime, tailer))) {
            List<LinkFrame.Batch> batches = receiveUpTo(client, 710);
            List<Long> first = seqs(batches.get(0));
            assertEquals(List.of(1L, 700L), List.of(first.get(0), first.get(first.size() - 1)),
                    "the transaction arrived whole, in one batch (" + first.size() + " entries)");
            assertEquals(seqs(1, 710), allSeqs(batches), "every entry once, in order");
        }
    }

    @Test
    void aPeerReceivesEveryEntryOnceInBatchesBoundedByBytes() throws Exception {
        appendLog(1, 2000, "0", 8192);
        LinkSettings settings = LinkSettings.defaults();
        try (Socket client = serve(ch -> new SendLink(ch, ORIGIN, "B", false, Map.of(ORIGIN, 0L), backend, DATABASES, settings,
                () -> "0000", List::of, new ServeStatus("B", "peer", "test"), TimeSource.system(), runtime, tailer))) {
            List<LinkFrame.Batch> batches = receiveUpTo(client, 2000);
            assertEquals(seqs(1, 2000), allSeqs(batches), "every entry once, in order");
            for (LinkFrame.Batch b : batches) {
                int bytes = b.entries().stream().mapToInt(LogEntry::sizeBytes).sum();
                assertTrue(bytes <= settings.batchBytesMax(), "batch of " + bytes + " bytes");
            }
        }
    }

    @Test
    void theCursorReadsEachEntryOnceWhateverTheEntrySize() throws Exception {
        appendLog(1, 3000, "0", 8192);
        appendLog(3001, 3000, "0", 16);
        try (BackendClient conn = backend.open(2 * DATABASES)) {
            LogStore store = new LogStore(conn, DATABASES);
            LogCursor cursor = new LogCursor(ORIGIN, 0, LinkSettings.defaults());
            List<LinkFrame.Batch> batches = new ArrayList<>();
            long entriesRead = 0;
            while (!cursor.atEnd() || cursor.pendingEntries() > 0) {
                LinkFrame.Batch b = cursor.nextBatch();
                if (b != null) {
                    batches.add(b);
                    continue;
                }
                int count = cursor.readCount();
                List<LogEntry> run = store.range(ORIGIN, cursor.read(), count);
                entriesRead += run.size();
                assertTrue(cursor.onRead(run, count));
            }
            assertEquals(seqs(1, 6000), allSeqs(batches));
            assertEquals(6000, entriesRead, "no entry read twice");
        }
    }

    @Test
    void aSenderWhoseLogReadMeetsABusyBackendSendsEveryEntryOnceTheScriptEnds() throws Exception {
        appendLog(1, 3000, "0", 8192);          // 24 MB: more than the sockets and the channel hold at once
        try (BackendClient control = backend.open(0)) {
            control.ok(List.of("CONFIG", "SET", "busy-reply-threshold", "100"));
        }
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Socket client = serve(ch -> new SendLink(ch, ORIGIN, "B", false, Map.of(ORIGIN, 0L), backend, DATABASES,
                LinkSettings.defaults(), () -> "0000", List::of, new ServeStatus("B", "peer", "test"),
                TimeSource.system(), runtime, tailer));
             BackendClient runner = backend.open(0)) {
            RespStreamReader in = new RespStreamReader(client.getInputStream(), RespParser.standard());
            assertInstanceOf(LinkFrame.Sync.class, Frames.decode(in.read()));
            List<LinkFrame.Batch> batches = new ArrayList<>();
            batches.add((LinkFrame.Batch) Frames.decode(in.read()));   // streaming; unread, the channel fills and the reads stop

            Future<Object> script = threads.submit(() -> runner.call("EVAL", "while true do end", "0"));
            awaitBusy();
            List<Long> received = java.util.Collections.synchronizedList(new ArrayList<>());
            Future<?> reading = threads.submit(() -> {          // reads resume: the sender reads its log while Redis is busy
                while (batches.get(batches.size() - 1).lastSeq() < 3000) {
                    if (Frames.decode(in.read()) instanceof LinkFrame.Batch b) {     // heartbeats come meanwhile
                        batches.add(b);
                        received.add(b.lastSeq());
                    }
                }
                return null;
            });
            awaitQuiet(received);               // the sender has sent what it held and waits on the busy backend
            assertTrue(!reading.isDone(), "entries are still to come while the script runs");
            try (Socket kill = new Socket(InetAddress.getLoopbackAddress(), backendPort())) {
                kill.getOutputStream().write("SCRIPT KILL\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                kill.setSoTimeout(5000);
                assertEquals('+', kill.getInputStream().read(), "the script is killed");
            }
            assertTrue(script.get(10, TimeUnit.SECONDS).toString().contains("killed"));
            reading.get(30, TimeUnit.SECONDS);
            assertEquals(seqs(1, 3000), allSeqs(batches), "every entry once, in order, on the same connection");
            try (BackendClient control = backend.open(0)) {
                String stats = Frames.text(control.call("INFO", "commandstats"));
                assertTrue(stats.matches("(?s).*cmdstat_xrange:[^\\r]*rejected_calls=[1-9].*"),
                        "a log read met the busy backend: " + stats);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** Waits until Redis answers a new connection's PING with -BUSY (a script has run past the threshold). */
    private void awaitBusy() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < until) {
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), backendPort())) {
                probe.setSoTimeout(5000);
                probe.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                if (probe.getInputStream().read() == '-') {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("redis-server never became busy");
    }

    /** Waits until no batch arrived for half a second (at most 20 s). */
    private static void awaitQuiet(List<Long> received) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int seen = -1;
        while (System.nanoTime() < until) {
            int now = received.size();
            if (now == seen) {
                return;
            }
            seen = now;
            Thread.sleep(500);
        }
        throw new AssertionError("batches kept coming while the backend was busy");
    }

    private int backendPort() {
        return ((BackendEndpoint.Tcp) backend.endpoint()).port();
    }

    @Test
    void aSenderClosesRatherThanSkipEntriesTheLogNoLongerHolds() throws Exception {
        appendLog(1, 100, "0", 16);
        try (BackendClient conn = backend.open(2 * DATABASES)) {
            conn.ok(List.of("XTRIM", ReplicationLog.logKey(ORIGIN), "MINID", "51-0"));
            LogStore store = new LogStore(conn, DATABASES);
            assertEquals(new LogSpan(51, 100), store.span(ORIGIN));
            LogCursor cursor = new LogCursor(ORIGIN, 10, LinkSettings.defaults());
            assertTrue(!cursor.onRead(store.range(ORIGIN, 10, cursor.readCount()), cursor.readCount()),
                    "entries from 51 do not follow 10");
            SendMachine m = new SendMachine(ORIGIN, "B", false, Map.of(ORIGIN, 10L), LinkSettings.defaults());
            m.open(0);
            assertEquals(List.of(new LinkAction.SendSnapshot()), m.onLogs(Map.of(ORIGIN, store.span(ORIGIN)), 0),
                    "a peer at 10 gets a snapshot, not the log from 51");
        }
    }

    @Test
    void aPositionRaisedBySnapshotLeavesNoHoleForAReplicaToWaitIn() throws Exception {
        appendLog(1, 40, "0", 16);
        try (BackendClient conn = backend.open(2 * DATABASES)) {
            LogStore store = new LogStore(conn, DATABASES);
            assertEquals(100, store.raisePosition(ORIGIN, 100), "a snapshot covered A up to 100");
            assertEquals(0, store.length(ORIGIN), "the entries below the raised position are gone with it");
            assertEquals(new LogSpan(-1, 100), store.span(ORIGIN));
            SendMachine m = new SendMachine("B", "C", true, Map.of(ORIGIN, 30L), LinkSettings.defaults());
            m.open(0);
            assertEquals(List.of(new LinkAction.SendSnapshot()), m.onLogs(Map.of(ORIGIN, store.span(ORIGIN)), 0),
                    "a replica at 30 gets a snapshot: 41 to 100 were never in this log");
            assertEquals(100, store.raisePosition(ORIGIN, 70), "a lower raise changes nothing");
            conn.ok(List.of("XADD", ReplicationLog.logKey(ORIGIN), "101-0", "t", "0000", "x", "0", "c", "SET", "k", "k", "v", "v"));
            conn.ok(List.of("HSET", "km:pos", ORIGIN, "101"));
            assertEquals(new LogSpan(101, 101), store.span(ORIGIN), "the log grows on from the raised position");
        }
    }

    /** XADDs {@code count} entries from {@code firstSeq} to A's log, each with a value of {@code valueBytes}, and raises km:pos. */
    private void appendLog(long firstSeq, int count, String txn, int valueBytes) throws IOException {
        try (BackendClient conn = backend.open(2 * DATABASES)) {
            byte[] value = new byte[valueBytes];
            Arrays.fill(value, (byte) 'v');
            for (long seq = firstSeq; seq < firstSeq + count; seq++) {
                conn.ok(List.of("XADD", ReplicationLog.logKey(ORIGIN), seq + "-0", "t", "0000", "x", txn, "c", "SET",
                        "k", "key:" + seq, "v", value));
            }
            conn.ok(List.of("HSET", "km:pos", ORIGIN, Long.toString(firstSeq + count - 1)));
        }
    }

    /** Serves one connection with the sender {@code make} builds for it; returns the connected client socket. */
    private Socket serve(Function<Channel, SendLink> make) throws Exception {
        group = new NioEventLoopGroup(1);
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SendLink sender = make.apply(ch);
                        ch.pipeline().addLast(new SenderHandler(sender, () -> { }));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                sender.start();
                            }
                        });
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        Socket client = new Socket();
        client.connect(server.localAddress());
        client.setSoTimeout(20_000);
        return client;
    }

    /** Reads frames (a Sync first) until a batch ends at {@code lastSeq}; returns the batches. */
    private static List<LinkFrame.Batch> receiveUpTo(Socket client, long lastSeq) throws IOException {
        RespStreamReader in = new RespStreamReader(client.getInputStream(), RespParser.standard());
        assertInstanceOf(LinkFrame.Sync.class, Frames.decode(in.read()));
        List<LinkFrame.Batch> batches = new ArrayList<>();
        while (batches.isEmpty() || batches.get(batches.size() - 1).lastSeq() < lastSeq) {
            if (Frames.decode(in.read()) instanceof LinkFrame.Batch b) {
                batches.add(b);
            }
        }
        return batches;
    }

    private static List<Long> seqs(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    private static List<Long> seqs(LinkFrame.Batch batch) {
        return batch.entries().stream().map(LogEntry::seq).toList();
    }

    private static List<Long> allSeqs(List<LinkFrame.Batch> batches) {
        List<Long> out = new ArrayList<>();
        for (LinkFrame.Batch b : batches) {
            out.addAll(seqs(b));
        }
        return out;
    }
}
