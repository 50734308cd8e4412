package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Verbatim;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/** INFO through keymesh: Redis' sections with keymesh's client-facing fields, plus a # Keymesh section. */
class InfoIT extends OneNodePerClass {
    private static List<String> lines(String info) {
        return info.lines().toList();
    }

    @Test
    void defaultInfoHasRedisSectionsKeyspaceAndKeymeshSection() {
        RedisCommands<String, String> r = fx.connect().sync();
        String empty = r.info();
        assertFalse(empty.contains("db0:keys="), "no keyspace line for an empty db0:\n" + empty);
        r.set("k", "v");
        String info = r.info();
        List<String> lines = lines(info);
        assertTrue(lines.contains("# Server"), info);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("redis_version:7.")), info);
        assertTrue(lines.contains("loading:0"), info);
        assertTrue(lines.contains("role:master"), info);
        assertTrue(lines.contains("# Keyspace"), info);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("db0:keys=1,")), info);
        assertTrue(lines.contains("# Keymesh"), info);
        assertTrue(lines.contains("tcp_port:" + fx.port()), "tcp_port is keymesh's client port:\n" + info);
        assertTrue(lines.contains("backend_status:up"), info);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("connected_clients:")), info);
        assertTrue(info.endsWith("\r\n") && !info.endsWith("\r\n\r\n"), "INFO ends with exactly one CRLF");
        assertTrue(info.indexOf("# Keymesh") > info.indexOf("# Keyspace"), "the keymesh section comes last");
    }

    @Test
    void infoKeymeshReturnsOnlyTheKeymeshSection() throws IOException {
        try (RespSocket s = fx.raw()) {
            String info = (String) s.call("INFO", "keymesh");
            assertTrue(info.startsWith("# Keymesh\r\n"), "INFO keymesh starts with its section header: [" + info + "]");
            assertEquals(1, info.split("# ", -1).length - 1, "exactly one section:\n" + info);
            assertTrue(info.contains("\r\nbackend_status:up\r\n"), info);
            assertTrue(info.contains("\r\nclient_port:" + fx.port() + "\r\n"), info);
            String server = (String) s.call("INFO", "server");
            assertTrue(server.startsWith("# Server\r\n"), server);
            assertFalse(server.contains("# Keymesh"), "INFO server has no keymesh section");
            assertTrue(server.contains("\r\ntcp_port:" + fx.port() + "\r\n"), server);
            String both = (String) s.call("INFO", "server", "keymesh");
            assertTrue(both.contains("# Server") && both.contains("# Keymesh"), both);
            String everything = (String) s.call("INFO", "everything");
            assertTrue(everything.contains("# Commandstats") || everything.contains("# Server"), everything);
            assertTrue(everything.contains("# Keymesh"), everything);
        }
    }

    @Test
    void infoOverResp3IsAVerbatimString() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.call("HELLO", "3");
            String raw = s.callRaw("INFO");
            assertTrue(raw.startsWith("="), "RESP3 INFO is a verbatim string: " + raw.substring(0, 20));
            s.send("INFO", "keymesh");
            Object reply = s.read();
            assertInstanceOf(Verbatim.class, reply);
            assertEquals("txt", ((Verbatim) reply).format());
            assertTrue(((Verbatim) reply).text().startsWith("# Keymesh"), reply.toString());
        }
        String info = fx.connect(ProtocolVersion.RESP3).sync().info();
        assertTrue(info.contains("# Server") && info.contains("# Keymesh"), info);
    }

    @Test
    void infoClientsCountsKeymeshClients() throws IOException {
        try (RespSocket a = fx.raw(); RespSocket b = fx.raw(); RespSocket c = fx.raw()) {
            assertEquals("PONG", b.call("PING"));
            assertEquals("PONG", c.call("PING"));
            String clients = (String) a.call("INFO", "clients");
            long connected = clients.lines().filter(l -> l.startsWith("connected_clients:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1))).findFirst().orElse(-1);
            assertTrue(connected >= 3, "connected_clients counts keymesh's clients: " + clients);
        }
    }
}
