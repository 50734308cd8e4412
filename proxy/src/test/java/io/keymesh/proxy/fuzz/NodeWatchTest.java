package io.keymesh.proxy.fuzz;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the fuzzer takes for a fault in the node's log, and what it lets pass. */
class NodeWatchTest {
    private static final List<String> EXPECTED = List.of(
            "16:34:45.362 WARN  [keymesh-pull-link from 127.0.0.1:43189] i.k.t.link.PullLink - link from 127.0.0.1:43189"
                    + " refused: peer clock ahead by 279678315425293 ms (max-clock-offset 500 ms)",
            "16:34:46.001 INFO  [keymesh-link-1] i.k.t.link.PullLink - link from 127.0.0.1:43189 closed: 0a0b0c0d sent a"
                    + " batch of 0a0b0c0d with entry 7 stamped \"\\x01|z\" (refused: ...)",
            "16:34:10.528 WARN  [keymesh-io-12-1] i.k.s.c.BackendLink - backend link [id: 0x01a54d45]: "
                    + "io.netty.channel.unix.Errors$NativeIoException: writevAddresses(..) failed: Broken pipe",
            "16:34:11.000 INFO  [keymesh-io-12-1] i.k.p.s.ClientSession - client id=4: its backend connection closed;"
                    + " closing the client");

    private static List<String> with(String... lines) {
        List<String> out = new java.util.ArrayList<>(EXPECTED);
        out.addAll(List.of(lines));
        return out;
    }

    @Test
    void refusedLinksAndClosedClientsPass() {
        assertNull(NodeWatch.fault(EXPECTED));
    }

    @Test
    void errorLinesExceptionTracesAndHousekeepingFailuresAreFaults() {
        String housekeeping = "16:35:43.460 WARN  [keymesh-housekeeping] i.k.t.n.Housekeeper - log housekeeping failed"
                + " (will retry): io.keymesh.topology.link.BackendCallException: ERR user_function:41: bad argument #1 to"
                + " 'floor' (number expected, got nil) script: km_gc";
        assertTrue(NodeWatch.fault(with(housekeeping)).contains("km_gc"));
        String unreadable = "16:35:44.000 WARN  [keymesh-housekeeping] i.k.t.n.Housekeeper - tombstone collection of db 0"
                + " skipped 1 key(s) whose metadata cannot be read: [fz:3]";
        assertTrue(NodeWatch.fault(with(unreadable)).contains("fz:3"));
        String error = "16:35:45.000 ERROR [keymesh-io-12-1] i.k.p.Main - anything at ERROR";
        assertTrue(NodeWatch.fault(with(error)).contains("anything at ERROR"));
        String fault = NodeWatch.fault(with("16:14:24.199 WARN  [keymesh-io-12-1] i.k.p.s.SessionHandler - client connection error",
                "java.lang.ArrayIndexOutOfBoundsException: Index 5 out of bounds for length 4",
                "\tat io.keymesh.proxy.resp.RespRequest.argEquals(RespRequest.java:75)"));
        assertTrue(fault.contains("client connection error") && fault.contains("ArrayIndexOutOfBoundsException")
                && fault.contains("argEquals"), fault);
    }
}
