package io.keymesh.storage.apply;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the apply-library scenarios: three fresh nodes a, b, c (each a redis-server with the
 * library loaded) per test, more on demand, always closed; entries travel when a test ships them.
 */
abstract class ThreeNodeTest {
    @TempDir
    Path tmp;

    Node a;
    Node b;
    Node c;
    private final List<Node> extra = new ArrayList<>();

    @BeforeEach
    void startNodes() {
        a = new Node(tmp.resolve("a"), "aaaaaaaa");
        b = new Node(tmp.resolve("b"), "bbbbbbbb");
        c = new Node(tmp.resolve("c"), "cccccccc");
    }

    @AfterEach
    void stopNodes() {
        for (Node n : new Node[] {a, b, c}) {
            if (n != null) {
                n.close();
            }
        }
        extra.forEach(Node::close);
    }

    /** A further node, closed after the test. */
    Node node(String name, String origin) {
        Node n = new Node(tmp.resolve(name), origin);
        extra.add(n);
        return n;
    }

    /** Ships every entry of {@code from}'s own log to {@code to} (re-sent ones are skipped there). */
    static void ship(Node from, Node to) {
        List<List<Object>> entries = from.log(from.origin);
        if (!entries.isEmpty()) {
            to.apply(from.origin, entries);
        }
    }

    /** A raw RESP reply as text. */
    static String str(byte[] reply) {
        return new String(reply, StandardCharsets.ISO_8859_1);
    }

    /** Ships every node's own log to every other one of {@code nodes}, in the order given. */
    static void meshAll(Node... nodes) {
        for (Node from : nodes) {
            for (Node to : nodes) {
                if (from != to) {
                    ship(from, to);
                }
            }
        }
    }
}
