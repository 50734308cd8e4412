package io.keymesh.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.MainSources;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The apply library's names (its functions {@code km_*} and its state keys {@code km:*}) appear only
 * in storage-adapter: topology's and proxy's main sources go through its typed calls.
 */
class ApplyContractTest {
    /** A library function or state-key name. */
    private static final Pattern NAME = Pattern.compile("km[_:]");

    private static List<String> spellings(String module) throws IOException {
        return MainSources.linesMatching(module, NAME);
    }

    @Test
    void topologyNeverSpellsALibraryName() throws IOException {
        assertEquals(List.of(), spellings("topology"), "use storage-adapter's apply calls");
    }

    @Test
    void proxyNeverSpellsALibraryName() throws IOException {
        assertEquals(List.of(), spellings("proxy"), "use storage-adapter's apply calls");
    }

    @Test
    void storageAdapterDoesSpellThem() throws IOException {
        assertTrue(spellings("storage-adapter").size() > 10, "the scan recognises the names where they live");
    }
}
