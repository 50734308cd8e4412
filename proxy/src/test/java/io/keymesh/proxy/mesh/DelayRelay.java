package io.keymesh.proxy.mesh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A userspace TCP forwarder that delays every chunk of bytes by a fixed time in each direction, run
 * as its own process inside a network namespace ({@code ip netns exec NS java ... DelayRelay
 * <delay-ms> <listen-host:port>=<target-host:port> ...}) where the kernel has no netem: the
 * namespace's node connects to the listen address and the relay forwards over the namespace's
 * veth to the target, so cutting the veth still cuts the link. Order is kept; at most
 * {@link #QUEUED_CHUNKS} chunks wait per direction (memory stays bounded; a full queue stops
 * reading). Prints "relay ready" once every listener is open; ends with its parent's stdin.
 */
public final class DelayRelay {
    static final int QUEUED_CHUNKS = 256;
    private static final byte[] END = new byte[0];

    private record Chunk(long dueNanos, byte[] bytes) {
    }

    private DelayRelay() {
    }

    public static void main(String[] args) throws Exception {
        long delayNanos = Long.parseLong(args[0]) * 1_000_000L;
        for (int i = 1; i < args.length; i++) {
            String[] pair = args[i].split("=");
            InetSocketAddress listen = address(pair[0]);
            InetSocketAddress target = address(pair[1]);
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(listen);
            daemon("accept-" + listen, () -> accept(server, target, delayNanos));
        }
        System.out.println("relay ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // the test keeps stdin open while it needs the relay
        }
        System.exit(0);
    }

    private static void accept(ServerSocket server, InetSocketAddress target, long delayNanos) {
        while (true) {
            try {
                Socket client = server.accept();
                daemon("connect-" + target, () -> connect(client, target, delayNanos));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void connect(Socket client, InetSocketAddress target, long delayNanos) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 3000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            closeBoth(client, upstream);
            return;
        }
        pump(client, upstream, delayNanos);
        pump(upstream, client, delayNanos);
    }

    /** Reads from {@code from}, writes each chunk to {@code to} once its delay has passed. */
    private static void pump(Socket from, Socket to, long delayNanos) {
        BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        daemon("read", () -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    queue.put(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            }
            try {
                queue.put(new Chunk(System.nanoTime() + delayNanos, END));
            } catch (InterruptedException ignored) {
                // exiting
            }
        });
        daemon("write", () -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    long wait = c.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                    }
                    if (c.bytes() == END) {
                        break;
                    }
                    out.write(c.bytes());
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            }
            closeBoth(from, to);
        });
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}
