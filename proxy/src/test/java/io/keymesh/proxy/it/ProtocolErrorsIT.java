package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input: malformed RESP gets "-ERR Protocol error..." and the connection is closed while other
 * clients keep working; unknown commands and wrong arity get Redis' own texts; inline commands work.
 * The node runs with proto-max-bulk-len = 1m.
 */
class ProtocolErrorsIT extends NodePerClass {
    private static RespSocket bystander;

    @BeforeAll
    static void startNode() throws IOException {
        fx = KeymeshFixture.start(Map.of("keymesh.limits.proto-max-bulk-len", "1m"));
        bystander = fx.raw();
        assertEquals("OK", bystander.call("SET", "bystander", "alive"));
    }

    @BeforeEach
    void bystanderStillWorks() throws IOException {
        assertEquals("alive", bystander.call("GET", "bystander"));
    }

    /** Sends {@code bytes}; expects an error starting with {@code expectedPrefix}, then the server closing the connection. */
    private static String assertProtocolErrorAndClose(String bytes, String expectedPrefix) throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("PONG", s.call("PING"));
            s.sendRaw(bytes);
            Object reply = s.read();
            assertTrue(reply instanceof Err e && e.message().startsWith(expectedPrefix),
                    "reply to " + printable(bytes) + ": " + reply);
            assertTrue(s.closedByPeer(Duration.ofSeconds(5)), "connection closed after " + printable(bytes));
            assertEquals("alive", bystander.call("GET", "bystander"), "another client keeps working");
            return ((Err) reply).message();
        }
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Test
    void bulkWithWrongLengthIsAProtocolErrorAndClosesTheConnection() throws IOException {
        assertProtocolErrorAndClose("*1\r\n$3\r\nGE\r\n\r\n", "ERR Protocol error");
    }

    @Test
    void nonNumericMultibulkCountIsAProtocolError() throws IOException {
        String message = assertProtocolErrorAndClose("*x\r\n", "ERR Protocol error");
        assertEquals("ERR Protocol error: invalid multibulk length", message);
    }

    @Test
    void dollarWhereTheMultibulkCountIsExpectedIsAProtocolError() throws IOException {
        assertEquals("ERR Protocol error: invalid multibulk length", assertProtocolErrorAndClose("*$3\r\n", "ERR Protocol error"));
    }

    @Test
    void arrayHeaderWhereABulkIsExpectedIsAProtocolError() throws IOException {
        String message = assertProtocolErrorAndClose("*2\r\n$3\r\nGET\r\n*1\r\n", "ERR Protocol error");
        assertEquals("ERR Protocol error: expected '$', got '*'", message);
    }

    @Test
    void dollarAtTheStartOfARequestIsAnInlineCommandAsInRedis() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            String bytes = "$3\r\nGET\r\nPING\r\n";
            s.sendRaw(bytes);
            direct.sendRaw(bytes);
            for (int i = 0; i < 3; i++) {
                assertEquals(direct.readRaw(), s.readRaw(), "reply #" + i + " to " + printable(bytes));
            }
        }
    }

    @Test
    void bulkLongerThanProtoMaxBulkLenIsRefusedBeforeItsBytesArrive() throws IOException {
        String message = assertProtocolErrorAndClose("*2\r\n$3\r\nGET\r\n$2000000\r\n", "ERR Protocol error");
        assertEquals("ERR Protocol error: invalid bulk length", message);
    }

    @Test
    void bulkUpToProtoMaxBulkLenIsAccepted() throws IOException {
        try (RespSocket s = fx.raw()) {
            String value = "v".repeat(1024 * 1024);
            assertEquals("OK", s.call("SET", "max", value));
            assertEquals((long) value.length(), s.call("STRLEN", "max"));
        }
    }

    @Test
    void unbalancedQuotesInAnInlineCommandAreAProtocolError() throws IOException {
        String message = assertProtocolErrorAndClose("SET k \"abc\r\n", "ERR Protocol error");
        assertEquals("ERR Protocol error: unbalanced quotes in request", message);
    }

    @Test
    void unknownCommandGetsRedisErrorText() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            for (String[] command : new String[][] {{"NOSUCHCOMMAND"}, {"NOSUCHCOMMAND", "a", "b c"}, {"foo", "bar"},
                    {"CONFIG", "NOSUCHSUB"}, {"XINFO", "NOSUCH", "x"}, {"OBJECT", "nosuch"}}) {
                assertEquals(direct.callRaw(command), s.callRaw(command), String.join(" ", command));
            }
            Object reply = s.call("NOSUCHCOMMAND", "arg");
            assertEquals(new Err("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'arg' "), reply);
            assertEquals("PONG", s.call("PING"), "an unknown command does not close the connection");
        }
    }

    @Test
    void wrongArityGetsRedisErrorText() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            assertEquals(new Err("ERR wrong number of arguments for 'get' command"), s.call("GET"));
            for (String[] command : new String[][] {{"GET"}, {"SET", "k"}, {"GET", "a", "b"}, {"CLIENT", "SETNAME"},
                    {"CLIENT", "KILL"}, {"CONFIG", "GET"}, {"HELLO", "3", "AUTH"}, {"AUTH"}, {"SELECT"},
                    {"XADD", "s"}, {"ZADD", "z", "1"}, {"CLIENT", "ID", "x"}, {"ACL", "WHOAMI", "x"}}) {
                assertEquals(direct.callRaw(command), s.callRaw(command), String.join(" ", command));
            }
            assertEquals("PONG", s.call("PING"), "arity errors do not close the connection");
        }
    }

    @Test
    void inlineCommandsWork() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            String[] lines = {"PING\r\n", "SET k \"a b\"\r\n", "GET k\r\n", "SET q 'x y'\r\n", "GET q\r\n",
                "ECHO \"tab\\there\"\r\n", "EXISTS k q nope\r\n", "PING\n", "  \r\n", "DEL k q\r\n"};
            for (String line : lines) {
                direct.sendRaw(line);
                s.sendRaw(line);
                if (line.isBlank()) {
                    continue;                         // an empty line gets no reply
                }
                assertEquals(direct.readRaw(), s.readRaw(), "inline " + printable(line));
            }
        }
        try (RespSocket s = fx.raw()) {
            assertEquals("+PONG\r\n", s.sendRaw("PING\r\n").readRaw());
            assertEquals("OK", s.sendRaw("SET k \"a b\"\r\n").read());
            assertEquals("a b", s.call("GET", "k"));
            s.sendRaw("SET one 1\r\nINCR one\r\n*2\r\n$3\r\nGET\r\n$3\r\none\r\n");
            assertEquals("OK", s.read());
            assertEquals(2L, s.read());
            assertEquals("2", s.read(), "inline and multibulk requests mix in one write");
        }
    }
}
