package io.keymesh.proxy.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesNestedValuesInOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "a1b2c3d4");
        m.put("up", true);
        m.put("lag_ms", 12L);
        m.put("rate", 1.5);
        m.put("links", List.of(Map.of("peer", "127.0.0.1:6380")));
        m.put("upstream", null);
        assertEquals("{\"id\":\"a1b2c3d4\",\"up\":true,\"lag_ms\":12,\"rate\":1.5,\"links\":[{\"peer\":\"127.0.0.1:6380\"}],\"upstream\":null}",
                Json.write(m));
    }

    @Test
    void escapesWhatAPeerErrorMayCarry() {
        assertEquals("\"say \\\"hi\\\"\\\\ \\n\\u0001 \\u003cb\\u003e\"", Json.write("say \"hi\"\\ \n\u0001 <b>"));
        assertEquals("[null,null]", Json.write(Arrays.asList(Double.NaN, null)));
    }
}
