package io.keymesh.topology.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Upstreams that answer what no Redis would: the check fails with a reason and in time, never hangs or allocates much. */
class RespHealthProbeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** Serves one connection: waits for the probe's PING and ROLE, answers {@code answer}, then closes. */
    private static HealthProbe.ProbeResult probeAgainst(byte[] answer) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread upstream = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] request = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nROLE\r\n".getBytes(StandardCharsets.US_ASCII);
                    in.readNBytes(request.length);
                    OutputStream out = s.getOutputStream();
                    out.write(answer);
                    out.flush();
                } catch (IOException e) {
                    // the probe gave up first: what the test checks
                }
            });
            upstream.start();
            long t0 = System.nanoTime();
            HealthProbe.ProbeResult r = new RespHealthProbe(TIMEOUT, null, null)
                    .probe(new UpstreamAddress("127.0.0.1", server.getLocalPort()));
            assertTrue(System.nanoTime() - t0 < TIMEOUT.toNanos() + 1_000_000_000L, "answered within the timeout");
            upstream.join(5000);
            return r;
        }
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPrimaryPassesAndAReplicaFails() throws Exception {
        HealthProbe.ProbeResult r = probeAgainst(text("+PONG\r\n*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"));
        assertEquals(HealthProbe.ProbeResult.pass("PONG, ROLE master"), r);
        r = probeAgainst(text("+PONG\r\n*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:1\r\n"));
        assertEquals(HealthProbe.ProbeResult.fail("not a primary: ROLE slave"), r);
    }

    @Test
    void bytesThatAreNotRespFailTheCheck() throws Exception {
        HealthProbe.ProbeResult r = probeAgainst(text("HTTP/1.1 400 Bad Request\r\n\r\n"));
        assertFalse(r.passed());
        assertTrue(r.detail().startsWith("not a RESP reply"), r.detail());
    }

    @Test
    void aReplyOverTheLimitFailsTheCheckWithoutBeingRead() throws Exception {
        byte[] huge = new byte[200 * 1024];
        java.util.Arrays.fill(huge, (byte) 'x');
        byte[] head = text("$" + huge.length + "\r\n");
        byte[] answer = new byte[head.length + huge.length];
        System.arraycopy(head, 0, answer, 0, head.length);
        System.arraycopy(huge, 0, answer, head.length, huge.length);
        HealthProbe.ProbeResult r = probeAgainst(answer);
        assertFalse(r.passed());
        assertTrue(r.detail().contains("over the limit"), r.detail());
    }

    @Test
    void aConnectionClosedInsideAReplyFailsTheCheck() throws Exception {
        HealthProbe.ProbeResult r = probeAgainst(text("+PONG\r\n*3\r\n$6\r\nmas"));
        assertEquals(HealthProbe.ProbeResult.fail("connection closed inside a reply"), r);
        r = probeAgainst(text("+PONG\r\n"));
        assertEquals(HealthProbe.ProbeResult.fail("connection closed by upstream"), r);
    }

    @Test
    void anUnexpectedPingReplyIsShown() throws Exception {
        HealthProbe.ProbeResult r = probeAgainst(text(":42\r\n*1\r\n$6\r\nmaster\r\n"));
        assertEquals(HealthProbe.ProbeResult.fail("PING answered :42"), r);
        r = probeAgainst(text("-ERR unknown command 'PING'\r\n*1\r\n$6\r\nmaster\r\n"));
        assertEquals(HealthProbe.ProbeResult.fail("PING answered error ERR unknown command 'PING'"), r);
    }
}
