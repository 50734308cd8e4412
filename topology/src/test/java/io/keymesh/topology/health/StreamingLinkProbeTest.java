package io.keymesh.topology.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.clock.TimeSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Checks over real sockets: an upstream that accepts and never answers, and a closed port. */
class StreamingLinkProbeTest {
    private final TimeSource time = TimeSource.system();
    private final RespHealthProbe checks = new RespHealthProbe(Duration.ofMillis(150), null, null);
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private ServerSocket silent;
    private volatile long linkReadNanos = Long.MIN_VALUE;
    private volatile boolean linkRead;

    @AfterEach
    void close() throws IOException {
        for (Socket s : accepted) {
            s.close();
        }
        if (silent != null) {
            silent.close();
        }
    }

    /** An upstream that accepts connections and never answers them. */
    private UpstreamAddress silentUpstream() throws IOException {
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(silent.accept());
                }
            } catch (IOException ended) {
                // closed by the test
            }
        }, "silent-upstream");
        t.setDaemon(true);
        t.start();
        return UpstreamAddress.parse("127.0.0.1:" + silent.getLocalPort());
    }

    private StreamingLinkProbe probe(UpstreamAddress linked) {
        return new StreamingLinkProbe(checks, (u, since) -> u.equals(linked) && linkRead && linkReadNanos - since >= 0, time);
    }

    @Test
    void aTimedOutCheckPassesWhileTheLinkFromThatUpstreamReceivesBytes() throws IOException {
        UpstreamAddress upstream = silentUpstream();
        Thread link = new Thread(() -> {          // the link: bytes arrive every 10 ms
            while (!Thread.currentThread().isInterrupted()) {
                linkReadNanos = time.monotonicNanos();
                linkRead = true;
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        link.start();
        try {
            HealthProbe.ProbeResult r = probe(upstream).probe(upstream);
            assertTrue(r.passed(), r.toString());
            assertEquals("no reply within 150 ms, but the link from it streams (up all the same)", r.detail());
        } finally {
            link.interrupt();
        }
    }

    @Test
    void aTimedOutCheckFailsWhenTheLinkReceivedNothingDuringIt() throws IOException {
        UpstreamAddress upstream = silentUpstream();
        linkReadNanos = time.monotonicNanos() - 1;   // bytes just before the check, none during it
        linkRead = true;
        HealthProbe.ProbeResult r = probe(upstream).probe(upstream);
        assertFalse(r.passed(), r.toString());
        assertTrue(r.timedOut(), r.toString());
        assertEquals("no reply within 150 ms", r.detail());
    }

    @Test
    void aTimedOutCheckFailsWhenTheStreamingLinkIsFromAnotherUpstream() throws IOException {
        UpstreamAddress upstream = silentUpstream();
        linkReadNanos = Long.MAX_VALUE / 2;
        linkRead = true;
        HealthProbe.ProbeResult r = probe(UpstreamAddress.parse("127.0.0.1:1")).probe(upstream);
        assertFalse(r.passed(), r.toString());
    }

    @Test
    void aRefusedCheckFailsWhateverTheLinkReceives() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        UpstreamAddress upstream = UpstreamAddress.parse("127.0.0.1:" + closedPort);
        linkReadNanos = Long.MAX_VALUE / 2;
        linkRead = true;
        HealthProbe.ProbeResult r = probe(upstream).probe(upstream);
        assertFalse(r.passed(), r.toString());
        assertFalse(r.timedOut(), r.toString());
        assertEquals("connection refused", r.detail());
    }
}
