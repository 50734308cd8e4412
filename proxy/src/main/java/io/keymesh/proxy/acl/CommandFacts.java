package io.keymesh.proxy.acl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the backend's {@code COMMAND} reply says about each command for ACL purposes: its
 * categories and its key specifications. Redis is the one home of these facts; keymesh reads them
 * once at start ({@code AclCatalog}).
 *
 * @param categories category bits ({@link AclCategory})
 * @param keys       key specifications in Redis' order
 */
public record CommandFacts(int categories, List<KeySearch> keys) {

    /**
     * Reads a {@code COMMAND} (or {@code COMMAND INFO}) reply as parsed by the topology RESP parser
     * (arrays as lists, bulk strings as byte[], integers as Long) into facts by lower-case full name
     * ("get", "config|get").
     */
    public static Map<String, CommandFacts> parse(Object reply) {
        Map<String, CommandFacts> facts = new HashMap<>();
        if (reply instanceof List<?> entries) {
            for (Object entry : entries) {
                if (entry instanceof List<?> e && e.size() >= 10) {
                    read(e, facts);
                }
            }
        }
        return facts;
    }

    private static void read(List<?> e, Map<String, CommandFacts> facts) {
        String name = text(e.get(0)).toLowerCase(Locale.ROOT);
        int categories = 0;
        for (Object c : list(e.get(6))) {
            categories |= AclCategory.bit(text(c));
        }
        List<KeySearch> keys = new ArrayList<>();
        for (Object spec : list(e.get(8))) {
            keys.add(keySearch(map(spec)));
        }
        facts.put(name, new CommandFacts(categories, List.copyOf(keys)));
        for (Object sub : list(e.get(9))) {
            if (sub instanceof List<?> s && s.size() >= 10) {
                read(s, facts);
            }
        }
    }

    private static KeySearch keySearch(Map<String, Object> spec) {
        int need = 0;
        for (Object flag : list(spec.get("flags"))) {
            switch (text(flag).toLowerCase(Locale.ROOT)) {
                case "access" -> need |= KeySearch.READ;
                case "insert", "delete", "update" -> need |= KeySearch.WRITE;
                default -> { }
            }
        }
        Map<String, Object> begin = map(spec.get("begin_search"));
        Map<String, Object> beginSpec = map(begin.get("spec"));
        int index = -1;
        String keyword = null;
        int startFrom = 0;
        switch (text(begin.get("type"))) {
            case "index" -> index = (int) number(beginSpec.get("index"));
            case "keyword" -> {
                index = 0;
                keyword = text(beginSpec.get("keyword"));
                startFrom = (int) number(beginSpec.get("startfrom"));
            }
            default -> { }
        }
        Map<String, Object> find = map(spec.get("find_keys"));
        Map<String, Object> findSpec = map(find.get("spec"));
        return switch (text(find.get("type"))) {
            case "range" -> new KeySearch(need, index, keyword, startFrom, KeySearch.Find.RANGE,
                    (int) number(findSpec.get("lastkey")), (int) number(findSpec.get("keystep")),
                    (int) number(findSpec.get("limit")));
            case "keynum" -> new KeySearch(need, index, keyword, startFrom, KeySearch.Find.KEYNUM,
                    (int) number(findSpec.get("keynumidx")), (int) number(findSpec.get("firstkey")),
                    (int) number(findSpec.get("keystep")));
            default -> new KeySearch(need, index, keyword, startFrom, KeySearch.Find.UNKNOWN, 0, 0, 0);
        };
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static Map<String, Object> map(Object o) {
        Map<String, Object> m = new HashMap<>();
        List<?> l = list(o);
        for (int i = 0; i + 1 < l.size(); i += 2) {
            m.put(text(l.get(i)), l.get(i + 1));
        }
        return m;
    }

    private static long number(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(text(o));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }
}
