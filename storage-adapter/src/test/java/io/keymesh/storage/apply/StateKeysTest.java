package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The state-key names against the library text, so a new state key cannot leak into invalidations. */
class StateKeysTest {

    private static boolean isState(String name) {
        ByteBuf b = Unpooled.copiedBuffer("xx" + name + "yy", StandardCharsets.UTF_8);
        return StateKeys.isStateKey(b, 2, name.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void everyStateKeyNameInTheLibraryIsKnown() {
        Matcher m = Pattern.compile("'(km:[A-Za-z0-9_]+:?)'").matcher(ApplyLibrary.source());
        int found = 0;
        while (m.find()) {
            String literal = m.group(1);
            String example = literal.endsWith(":") ? literal + "a1b2c3d4" : literal;
            assertTrue(isState(example), literal + " (in the apply library) must be listed in StateKeys");
            found++;
        }
        assertTrue(found >= 8, "the library names its state keys as literals: " + found);
    }

    @Test
    void userKeysAreNotStateKeys() {
        for (String name : new String[] {"km:posx", "km:log:", "km:fscan:", "km", "km:", "user:1", "km:po", "KM:pos", "xkm:pos"}) {
            assertFalse(isState(name), name);
        }
        assertTrue(isState("km:log:6ca10c4d"));
        assertTrue(isState("km:fscan:0:0000018f2a3b4c5da1b2c3d4"));
        assertTrue(isState("km:pos"));
    }
}
