package io.keymesh.topology.wire;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogEntryGrammarTest {
    private static final int DATABASES = 4;
    private static final String A = "0a0b0c0d";
    private static final String B = "1f2e3d4c";
    private static final String T1 = "0000018f2a3b4c5d" + A;
    private static final String T2 = "0000018f2a3b4c5e" + B + "0";       // a tie-break's appended 0

    private static LogEntry entry(String... fields) {
        return new LogEntry(9, Arrays.stream(fields).map(LogEntryGrammarTest::bytes).toList());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** cmsgpack.pack of an array of strings (fixstr, str 8 or str 16; array 16), as the apply library packs a long entry's ops. */
    static byte[] pack(List<String> strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (strings.size() < 16) {
            out.write(0x90 | strings.size());
        } else {
            out.write(0xdc);
            out.write(strings.size() >> 8);
            out.write(strings.size() & 0xff);
        }
        for (String s : strings) {
            byte[] b = bytes(s);
            if (b.length < 32) {
                out.write(0xa0 | b.length);
            } else if (b.length < 256) {
                out.write(0xd9);
                out.write(b.length);
            } else {
                out.write(0xda);
                out.write(b.length >> 8);
                out.write(b.length & 0xff);
            }
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    private static String why(LogEntry e) {
        return LogEntryGrammar.malformed(e, DATABASES);
    }

    @Test
    void entriesAsTheApplyLibraryWritesThemPass() {
        List<LogEntry> valid = List.of(
                entry("t", T1, "k", "plain", "s", "value with | and spaces"),
                entry("t", T1, "x", "17", "b", "3", "k", "c", "q", T2, "i", "42", "e", "0"),
                entry("t", T1, "k", "c", "i", "-3.0000000000000001e-05"),
                entry("t", T1, "k", "c", "i", "1e+20"),
                entry("t", T2, "k", "reset", "v", A + " " + T1 + " 5 " + B + "@" + T2 + " " + T2 + " -2.5", "s", "0"),
                entry("t", T1, "k", "h", "v", A + " " + T1 + " 1", "c", "f1", "u", "h " + B + " " + T2 + " 7",
                        "c", "f2", "u", "z ", "d", ""),
                entry("t", T1, "k", "h", "h", "f", "u", A + " " + T1 + " 3", "w", "v"),
                entry("t", T1, "k", "h", "h", "f", "q", T2, "j", "12.5"),
                entry("t", T1, "k", "ttl", "e", "1733600000123"),
                entry("t", T1, "k", "ttl", "e", "-1"),
                entry("t", T1, "k", "s", "xa", "1733600000123-0", "xv", "\u0092\u00a1f\u00a1v", "e", "0"),
                entry("t", T1, "k", "s", "xd", "5-18446744073709551615", "xt", "18446744073709551616-0"),
                entry("t", T1, "k", "s", "xg", "group with spaces", "xgc", "0-0", "xl", "7-1",
                        "xp", "7-1 2 consumer name", "xp", "7-2 1 ", "xk", "7-0", "xgd", ""),
                entry("t", T1, "f", "0", "f", "3"),
                entry("t", T1, "F", "lib", "L", "#!lua name=lib\nreturn 1"),
                entry("t", T1, "P", "chan", "M", "message"),
                entry("t", T1, "", "", "k", "", "xg", "", "xyz", "any", "x", "0"));     // names it does not check
        for (LogEntry e : valid) {
            assertNull(why(e), () -> e.fields().stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList().toString());
        }
    }

    @Test
    void aLongEntrysPackedFieldsPassWhenTheyKeepTheRules() {
        List<String> ops = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ops.addAll(List.of("h", "field" + i, "w", "x".repeat(i)));
        }
        ops.addAll(List.of("k", "c", "v", A + " " + T1 + " 5", "t", T2, "b", "2", "k", "d", "q", T1, "i", "1"));
        LogEntry e = new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("k"), bytes("h"), bytes("m"), pack(ops)));
        assertNull(why(e));
        assertEquals(List.of(T1, T2, T1), e.stampFields(), "the stamps packed in m are the entry's too");
    }

    @Test
    void counterVectorsThatTheLibraryCannotReadAreRefused() {
        String[] bad = {
            A + " " + T1,                         // no total
            A + " " + T1 + " 5 ",                 // a trailing space
            " " + A + " " + T1 + " 5",            // a leading one
            A + "  " + T1 + " 5",                 // two spaces
            A + " " + T1 + " five",               // a total that is no number
            A + " " + T1 + " 0x10",
            A + " " + T1 + " 1e",
            A + " " + T1 + " 5|9",
            A + " " + T1 + " 5 " + B,             // a partial triple
            "a " + T1 + " 5",                     // an origin that is no node id
            A.toUpperCase() + " " + T1 + " 5",
            A + "@ " + T1 + " 5",                 // @ without the epoch's stamp
            A + "@zz " + T1 + " 5",
            A + " " + A + " 5",                   // a stamp that is not one
            A + " \u0001|z 5",
            A + "\t" + T1 + "\t5",
        };
        for (String v : bad) {
            String why = why(entry("t", T1, "k", "c", "v", v, "s", "1"));
            assertNotNull(why, v);
            assertTrue(why.startsWith("entry 9 with v ") && why.contains("refused: a counter vector"), why);
            assertNotNull(why(entry("t", T1, "k", "h", "h", "f", "u", v, "w", "1")), "u " + v);
            assertNotNull(why(entry("t", T1, "k", "h", "c", "f", "u", "h " + v, "s", "1")), "u after c: h " + v);
        }
        for (String u : new String[] {A + " " + T1 + " 5", "x " + A + " " + T1 + " 5", "h", "h" + A, ""}) {
            String why = why(entry("t", T1, "k", "h", "c", "f", "u", u, "s", "1"));
            assertNotNull(why, "a u after c without its type: " + u);
            assertTrue(why.contains("refused: a u right after c is h or z"), why);
        }
    }

    @Test
    void numbersThatTheLibraryCannotReadAreRefused() {
        for (String field : new String[] {"e", "i", "j"}) {
            for (String n : new String[] {"", "-", "1.", ".5", "1e+", "inf", "nan", " 1", "1 ", "0x1f", "1,5", "\u00001"}) {
                String why = why(entry("t", T1, "k", "c", field, n));
                assertNotNull(why, field + " " + n);
                assertTrue(why.contains("with " + field + " ") && why.contains("refused: e, i and j are"), why);
            }
        }
    }

    @Test
    void streamFloorsAndGroupRegistersThatTheLibraryCannotReadAreRefused() {
        for (String field : new String[] {"xa", "xd", "xt", "xgc", "xl", "xk"}) {
            for (String id : new String[] {"", "5", "5-", "-5", "a-1", "5-1 ", "5-1-2", "5 1", "123456789012345678901-0",
                    "0-123456789012345678901", "\u0001|z"}) {
                String why = why(entry("t", T1, "k", "s", "xg", "g", field, id));
                assertNotNull(why, field + " " + id);
                assertTrue(why.contains("with " + field + " ") && why.contains("hold a stream ID"), why);
            }
        }
        for (String p : new String[] {"", "5-1", "5-1 2", "5-1 x c", "5 2 c", "5-1  c", "5-1 -2 c"}) {
            String why = why(entry("t", T1, "k", "s", "xg", "g", "xp", p));
            assertNotNull(why, "xp " + p);
            assertTrue(why.contains("refused: xp is a stream ID, a delivery count and the consumer"), why);
        }
        assertTrue(why(entry("t", T1, "k", "s", "xg", "g", "xgd", "x")).contains("refused: xgd is empty"));
        assertTrue(why(entry("t", T1, "k", "s", "xa", "1-1", "xv", "f v")).contains("refused: m and xv are a msgpack array"));
    }

    @Test
    void aPackedFieldIsRefusedWhenItIsNoArrayOfStringsOrBreaksARuleInside() {
        String notPacked = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"), bytes("k key s v"))));
        assertTrue(notPacked.startsWith("entry 9 with m ") && notPacked.contains("refused: m and xv are a msgpack array"),
                notPacked);
        String odd = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"), pack(List.of("k", "key", "s")))));
        assertTrue(odd.contains("an even number of strings"), odd);
        String nested = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"),
                pack(List.of("k", "key", "m", new String(pack(List.of("t", T1)), StandardCharsets.ISO_8859_1))))));
        assertTrue(nested.contains("and no m"), nested);
        String stamp = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"),
                pack(List.of("k", "key", "s", "v", "t", "\u0001|z 1 y", "k", "k2", "s", "v")))));
        assertEquals("entry 9 stamped \"\\x01|z 1 y\" in its packed fields (m) (refused: every t and q field of an entry"
                + " is a stamp, 16 hex digits of HLC then the node id)", stamp);
        String db = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"), pack(List.of("b", "-1", "k", "key")))));
        assertTrue(db.startsWith("entry 9 in database \"-1\" in its packed fields (m)"), db);
        String vector = why(new LogEntry(9, List.of(bytes("t"), bytes(T1), bytes("m"),
                pack(List.of("k", "key", "v", A + " " + T1 + " z", "s", "v")))));
        assertTrue(vector.startsWith("entry 9 with v ") && vector.contains("in its packed fields (m)"), vector);
    }

    @Test
    void stampsAndDatabasesKeepTheirRules() {
        assertTrue(why(entry("t", "0000018f2a3b4c5d", "k", "x")).startsWith("entry 9 stamped \"0000018f2a3b4c5d\" (refused"));
        assertTrue(why(entry("t", T1, "q", T1.toUpperCase(), "i", "1")).contains("stamped"));
        for (String db : new String[] {"-1", "4", "x", "01", "", "99999999999"}) {
            assertTrue(why(entry("t", T1, "b", db, "k", "x")).startsWith("entry 9 in database "), db);
            assertTrue(why(entry("t", T1, "f", db)).startsWith("entry 9 in database "), "f " + db);
        }
    }

    @Test
    void randomFieldsAreTakenOrRefusedNeverAnythingElse() {
        String[] names = {"t", "q", "b", "f", "v", "u", "c", "e", "i", "j", "m", "xa", "xv", "xd", "xt", "xg", "xgc", "xgd",
            "xl", "xp", "xk", "k", "s", "", "x", "xgz"};
        String[] pieces = {A, T1, " ", "@", "-", "5", "1e", ".", "h ", "z ", "0-1", "\u0000", "\u00ff", "\u0092", "\u00a1"};
        java.util.SplittableRandom random = new java.util.SplittableRandom(20261207);
        int refused = 0;
        for (int n = 0; n < 20_000; n++) {
            List<byte[]> fields = new ArrayList<>();
            for (int f = random.nextInt(1, 6); f > 0; f--) {
                fields.add(bytes(names[random.nextInt(names.length)]));
                StringBuilder v = new StringBuilder();
                for (int p = random.nextInt(6); p > 0; p--) {
                    v.append(pieces[random.nextInt(pieces.length)]);
                }
                fields.add(random.nextInt(8) == 0 ? pack(List.of(names[random.nextInt(names.length)], v.toString()))
                        : bytes(v.toString()));
            }
            if (why(new LogEntry(9, fields)) != null) {
                refused++;
            }
        }
        assertTrue(refused > 1000 && refused < 20_000, "refused " + refused);
    }
}
