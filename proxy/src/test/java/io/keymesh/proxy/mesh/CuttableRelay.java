package io.keymesh.proxy.mesh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay the test controls: it listens on an ephemeral port and forwards every
 * connection to a target port; {@link #cut()} resets every open connection and refuses new ones
 * until {@link #heal()}; {@link #throttle(long)} caps the bandwidth of each direction (a slow
 * link). Counts the bytes it forwarded in each direction and, after {@link #record(int)}, keeps a
 * copy of them (what an eavesdropper on the link would see).
 */
public final class CuttableRelay implements AutoCloseable {
    private final String name;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesToTarget = new AtomicLong();
    private final AtomicLong bytesFromTarget = new AtomicLong();
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong connectionsHeld = new AtomicLong();
    private final Pacer upPacer = new Pacer();
    private final Pacer downPacer = new Pacer();
    private final java.io.ByteArrayOutputStream recorded = new java.io.ByteArrayOutputStream();
    private volatile int recordBytesMax;
    private volatile int targetPort;
    private volatile int targetReceiveBytes;
    private volatile boolean cut;
    private volatile boolean holdNew;
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Starts a relay named {@code name} (for thread names and messages) with no target yet: it refuses connections until {@link #target}. */
    public CuttableRelay(String name) throws IOException {
        this.name = name;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "relay-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port peers connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** "127.0.0.1:port" of the relay, as a peer address. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    /** Points new connections at {@code port} on loopback (existing connections keep their target). */
    public void target(int port) {
        this.targetPort = port;
    }

    /**
     * From now on receives from the target with a socket buffer of {@code bytes} on new connections
     * (0: the system's, which grows to megabytes), so a throttle backs the target up soon.
     */
    public void targetReceiveBuffer(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes " + bytes);
        }
        targetReceiveBytes = bytes;
    }

    /**
     * From now on accepts new connections but forwards nothing of them (a path whose queues are full:
     * a new connection's requests wait past any timeout), while the connections forwarded before go
     * on; {@link #releaseHeld()} resets the held ones and forwards new ones again.
     */
    public void holdNewConnections() {
        holdNew = true;
    }

    /** Resets the connections {@link #holdNewConnections()} held, and forwards new ones again. */
    public void releaseHeld() {
        holdNew = false;
        for (Socket s : held) {
            held.remove(s);
            reset(s);
        }
    }

    /** Connections accepted and held unanswered since {@link #holdNewConnections()}. */
    public long connectionsHeld() {
        return connectionsHeld.get();
    }

    /** Resets every forwarded connection and refuses new ones. */
    public void cut() {
        cut = true;
        for (Socket s : open) {
            reset(s);
        }
    }

    /** Accepts and forwards connections again. */
    public void heal() {
        cut = false;
    }

    /** Caps each direction at {@code bytesPerSecond} over all its connections (0: no cap); applies to open connections at once. */
    public void throttle(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond " + bytesPerSecond);
        }
        upPacer.bytesPerSecond(bytesPerSecond);
        downPacer.bytesPerSecond(bytesPerSecond);
    }

    /** From now on keeps a copy of up to {@code bytesMax} forwarded bytes, both directions as they pass. */
    public void record(int bytesMax) {
        synchronized (recorded) {
            recorded.reset();
            recordBytesMax = bytesMax;
        }
    }

    /** The bytes recorded since {@link #record(int)}. */
    public byte[] recorded() {
        synchronized (recorded) {
            return recorded.toByteArray();
        }
    }

    private void keep(byte[] buf, int n) {
        if (recordBytesMax == 0) {
            return;
        }
        synchronized (recorded) {
            recorded.write(buf, 0, Math.min(n, Math.max(0, recordBytesMax - recorded.size())));
        }
    }

    public boolean isCut() {
        return cut;
    }

    /** Bytes forwarded from connecting side to target plus target to connecting side. */
    public long bytesForwarded() {
        return bytesToTarget.get() + bytesFromTarget.get();
    }

    /** Connections accepted and forwarded so far (a reconnecting link makes this grow). */
    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (holdNew && !cut) {
                held.add(client);
                open.add(client);
                connectionsHeld.incrementAndGet();
                continue;
            }
            int port = targetPort;
            if (cut || port == 0) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                if (targetReceiveBytes > 0) {
                    upstream.setReceiveBufferSize(targetReceiveBytes);
                }
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
            } catch (SocketException ignored) {
                // only latency
            }
            open.add(client);
            open.add(upstream);
            connectionsAccepted.incrementAndGet();
            if (cut) {
                reset(client);
                reset(upstream);
                continue;
            }
            pump(client, upstream, bytesToTarget, upPacer, "up");
            pump(upstream, client, bytesFromTarget, downPacer, "down");
        }
    }

    private void pump(Socket from, Socket to, AtomicLong counter, Pacer pacer, String direction) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf, 0, pacer.chunkBytes(buf.length))) >= 0) {
                    if (cut) {
                        break;
                    }
                    pacer.await(n);
                    if (cut) {
                        break;
                    }
                    keep(buf, n);
                    out.write(buf, 0, n);
                    counter.addAndGet(n);
                }
            } catch (IOException ignored) {
                // the other direction or cut() closed the pair
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                reset(from);
                reset(to);
            }
        }, "relay-" + name + "-" + direction);
        t.setDaemon(true);
        t.start();
    }

    private void reset(Socket s) {
        open.remove(s);
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (SocketException ignored) {
            // closing anyway
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Spaces the bytes of one direction so that they average at most bytesPerSecond. */
    private static final class Pacer {
        private static final long SLICES_PER_SECOND = 20;
        private volatile long bytesPerSecond;
        private long nextFreeNanos;

        void bytesPerSecond(long rate) {
            synchronized (this) {
                bytesPerSecond = rate;
                nextFreeNanos = System.nanoTime();
            }
        }

        /** How much to read at once: about one twentieth of a second's worth when throttled. */
        int chunkBytes(int bufferBytes) {
            long rate = bytesPerSecond;
            return rate == 0 ? bufferBytes : (int) Math.max(1, Math.min(bufferBytes, rate / SLICES_PER_SECOND));
        }

        /** Waits until {@code bytes} more may pass. */
        void await(int bytes) throws InterruptedException {
            long wakeNanos;
            synchronized (this) {
                long rate = bytesPerSecond;
                if (rate == 0) {
                    return;
                }
                long now = System.nanoTime();
                long start = Math.max(now, nextFreeNanos);
                nextFreeNanos = start + bytes * 1_000_000_000L / rate;
                wakeNanos = nextFreeNanos;
            }
            long waitNanos = wakeNanos - System.nanoTime();
            if (waitNanos > 0) {
                Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        cut = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        for (Socket s : open) {
            reset(s);
        }
    }

    @Override
    public String toString() {
        return "relay " + name + " :" + port() + " -> :" + targetPort + (cut ? " (cut)" : "");
    }
}
