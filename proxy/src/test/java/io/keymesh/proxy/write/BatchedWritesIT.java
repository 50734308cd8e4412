package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keymesh.proxy.it.RespSocket;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Many clients pipelining mixed INCR, HSET, SET, GET and failing writes at once, so that the node
 * batches several clients' writes into one call of the apply library: every client must get exactly
 * the reply Redis would give each of its commands, in its order, and the data must add up.
 */
class BatchedWritesIT extends ReplicatingNodePerClass {
    private static final int CLIENTS = 24;
    private static final int ROUNDS = 150;
    private static final String NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";
    private static final String WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    @Test
    void pipelinedMixedWritesOfManyClientsGetTheirOwnRepliesInOrder() throws Exception {
        List<RespSocket> sockets = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            RespSocket s = fx.raw();
            if (c % 3 == 0) {
                s.call("HELLO", "3");        // a third speak RESP3: the batched replies are the same in both
            }
            sockets.add(s);
        }
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                RespSocket s = sockets.get(c);
                done.add(pool.submit(() -> {
                    runClient(client, s);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        RespSocket check = fx.raw();
        assertEquals(":" + (long) CLIENTS * ROUNDS + "\r\n", check.callRaw("INCRBY", "shared", "0"),
                "every client's INCR of the shared counter counted once");
        for (int c = 0; c < CLIENTS; c++) {
            assertEquals(":" + ROUNDS + "\r\n", check.callRaw("HLEN", "h:" + c));
            assertEquals("$" + Integer.toString(2 * ROUNDS).length() + "\r\n" + 2 * ROUNDS + "\r\n",
                    check.callRaw("HGET", "hs", "f" + c), "client " + c + "'s HINCRBY of a shared hash");
            assertEquals(":" + (-ROUNDS) + "\r\n", check.callRaw("DECRBY", "d:" + c, "0"));
        }
    }

    /** One client's pipeline of ROUNDS rounds, sent in one write, then every reply checked in order. */
    private static void runClient(int c, RespSocket s) throws Exception {
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<String> expected = new ArrayList<>();
        for (int r = 1; r <= ROUNDS; r++) {
            String value = "v" + c + "-" + r;
            RespSocket.encodeInto(pipeline, "INCR", "c:" + c);
            expected.add(":" + r + "\r\n");
            RespSocket.encodeInto(pipeline, "HSET", "h:" + c, "f" + r, value);
            expected.add(":1\r\n");
            RespSocket.encodeInto(pipeline, "SET", "s:" + c, value);
            expected.add("+OK\r\n");
            RespSocket.encodeInto(pipeline, "GET", "s:" + c);
            expected.add("$" + value.length() + "\r\n" + value + "\r\n");
            RespSocket.encodeInto(pipeline, "INCR", "s:" + c);                   // a string: Redis' error
            expected.add(NOT_INTEGER);
            RespSocket.encodeInto(pipeline, "HSET", "s:" + c, "f", "x");         // a string: WRONGTYPE
            expected.add(WRONGTYPE);
            RespSocket.encodeInto(pipeline, "INCR", "shared");
            expected.add(null);                                                  // some count, checked at the end
            RespSocket.encodeInto(pipeline, "HINCRBY", "hs", "f" + c, "2");
            expected.add(":" + 2 * r + "\r\n");
            RespSocket.encodeInto(pipeline, "DECR", "d:" + c);
            expected.add(":" + (-r) + "\r\n");
            RespSocket.encodeInto(pipeline, "HSET", "h:" + c, "f" + r, value);  // the same field again: 0 added
            expected.add(":0\r\n");
            RespSocket.encodeInto(pipeline, "INCRBY", "c:" + c, "nope");         // Redis' own argument error
            expected.add(NOT_INTEGER);
        }
        s.sendRaw(pipeline.toByteArray());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            got.add(s.readRaw());
        }
        for (int i = 0; i < expected.size(); i++) {
            String context = "client " + c + ", reply " + i + "; replies from " + Math.max(0, i - 4) + ": "
                    + got.subList(Math.max(0, i - 4), Math.min(got.size(), i + 3));
            if (expected.get(i) == null) {
                assertEquals(':', got.get(i).charAt(0), context);
            } else {
                assertEquals(expected.get(i), got.get(i), context);
            }
        }
    }
}
