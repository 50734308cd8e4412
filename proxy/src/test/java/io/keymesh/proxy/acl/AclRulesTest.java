package io.keymesh.proxy.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.command.Commands;
import io.keymesh.proxy.resp.RespFrameDecoder;
import io.keymesh.proxy.resp.RespLimits;
import io.keymesh.proxy.resp.RespRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** ACL SETUSER rule syntax, Redis' error reasons, and the per-command check on real request frames. */
class AclRulesTest {
    private static final int RW = KeySearch.READ | KeySearch.WRITE;
    private static final AclCatalog CATALOG = AclCatalog.of(Commands.standard(), facts());
    private static final AclRules RULES = new AclRules(CATALOG);
    private static final AclChecker CHECKER = new AclChecker(CATALOG);

    /** A few commands' facts as redis-server 7.0's COMMAND reply gives them. */
    private static Map<String, CommandFacts> facts() {
        Map<String, CommandFacts> f = new HashMap<>();
        int read = AclCategory.bit("read");
        int write = AclCategory.bit("write");
        int admin = AclCategory.bit("admin");
        int dangerous = AclCategory.bit("dangerous");
        f.put("get", new CommandFacts(read | AclCategory.bit("string"), List.of(range(KeySearch.READ, 1, 0))));
        f.put("set", new CommandFacts(write | AclCategory.bit("string"), List.of(range(RW, 1, 0))));
        f.put("mget", new CommandFacts(read, List.of(range(KeySearch.READ, 1, -1))));
        f.put("mset", new CommandFacts(write, List.of(new KeySearch(KeySearch.WRITE, 1, null, 0, KeySearch.Find.RANGE, -1, 2, 0))));
        f.put("exists", new CommandFacts(read, List.of(range(0, 1, -1))));
        f.put("copy", new CommandFacts(write, List.of(range(KeySearch.READ, 1, 0), range(KeySearch.WRITE, 2, 0))));
        f.put("eval", new CommandFacts(AclCategory.bit("scripting"),
                List.of(new KeySearch(RW, 2, null, 0, KeySearch.Find.KEYNUM, 0, 1, 1))));
        f.put("xread", new CommandFacts(read, List.of(new KeySearch(KeySearch.READ, 0, "STREAMS", 1,
                KeySearch.Find.RANGE, -1, 1, 2))));
        f.put("flushall", new CommandFacts(write | dangerous, List.of()));
        f.put("config", new CommandFacts(0, List.of()));
        f.put("config|get", new CommandFacts(admin | dangerous, List.of()));
        f.put("config|set", new CommandFacts(admin | dangerous, List.of()));
        f.put("publish", new CommandFacts(AclCategory.bit("pubsub"), List.of()));
        f.put("subscribe", new CommandFacts(AclCategory.bit("pubsub"), List.of()));
        f.put("psubscribe", new CommandFacts(AclCategory.bit("pubsub"), List.of()));
        return f;
    }

    private static KeySearch range(int need, int index, int lastKey) {
        return new KeySearch(need, index, null, 0, KeySearch.Find.RANGE, lastKey, 1, 0);
    }

    private static AclUser user(String rules) throws AclRuleException {
        return RULES.apply(AclUser.created("u"), AclRules.split(rules));
    }

    private static String refusal(String rules, String... command) throws AclRuleException {
        AclUser u = user(rules);
        EmbeddedChannel channel = new EmbeddedChannel(new RespFrameDecoder(RespLimits.REDIS_DEFAULTS, true));
        StringBuilder frame = new StringBuilder("*" + command.length + "\r\n");
        for (String arg : command) {
            frame.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
        }
        channel.writeInbound(Unpooled.copiedBuffer(frame, StandardCharsets.UTF_8));
        RespRequest r = channel.readInbound();
        try {
            int ordinal = CATALOG.ordinal(command.length > 1 && CATALOG.ordinal(command[0] + "|" + command[1]) >= 0
                    ? command[0] + "|" + command[1] : command[0]);
            AclChecker.Denial d = CHECKER.check(u, ordinal, r, 0);
            return d == null ? null : d.reason() + (d.argument() < 0 ? "" : " " + r.argString(d.argument()));
        } finally {
            r.release();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aNewUserIsOffAndMayDoNothing() throws AclRuleException {
        AclUser u = user("");
        assertFalse(u.enabled());
        assertFalse(u.accepts("x".getBytes()));
        assertEquals("off resetchannels -@all", u.describe());
        assertEquals("COMMAND", refusal("", "GET", "k"));
    }

    @Test
    void passwordsAreKeptAsSha256AndCanBeRemoved() throws AclRuleException {
        AclUser u = user("on >s3cret >other <other");
        assertTrue(u.accepts("s3cret".getBytes()));
        assertFalse(u.accepts("other".getBytes()));
        assertEquals(List.of(AclUser.hash("s3cret")), u.passwordHashes());
        assertTrue(user("on #" + AclUser.hash("pw")).accepts("pw".getBytes()));
        assertTrue(user("on >pw nopass").accepts("anything".getBytes()));
        assertFalse(user("on nopass resetpass").accepts("anything".getBytes()));
        assertFalse(user("off nopass").accepts("anything".getBytes()), "a user that is off never logs in");
    }

    @Test
    void badRulesGetRedisReasons() {
        assertEquals("ERR Error in ACL SETUSER modifier 'bogus': Syntax error", error("bogus"));
        assertEquals("ERR Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL", error("+nocmd"));
        assertEquals("ERR Error in ACL SETUSER modifier '+@nocat': Unknown command or category name in ACL", error("+@nocat"));
        assertEquals("ERR Error in ACL SETUSER modifier '+config|nosub': Unknown command or category name in ACL",
                error("+config|nosub"));
        assertEquals("ERR Error in ACL SETUSER modifier '%X~a': Syntax error", error("%X~a"));
        assertEquals("ERR Error in ACL SETUSER modifier '%~a': Syntax error", error("%~a"));
        assertEquals("ERR Error in ACL SETUSER modifier '<nopw': " + AclRules.NO_SUCH_PASSWORD, error("<nopw"));
        assertEquals("ERR Error in ACL SETUSER modifier '#abc': " + AclRules.BAD_HASH, error("#abc"));
        assertEquals("ERR Error in ACL SETUSER modifier '~b': " + AclRules.KEYS_AFTER_ALL, error("allkeys ~b"));
        assertEquals("ERR Error in ACL SETUSER modifier '&b': " + AclRules.CHANNELS_AFTER_ALL, error("&a &* &b"));
        assertEquals("ERR Error in ACL SETUSER modifier '(~a': Syntax error", error("(~a +get)"));
    }

    private static String error(String rules) {
        return assertThrows(AclRuleException.class, () -> user(rules)).setUserError();
    }

    @Test
    void commandRulesFollowCategoriesAndSubcommandsInOrder() throws AclRuleException {
        assertEquals("KEY k", refusal("+@read", "GET", "k"), "commands alone give no key");
        assertNull(refusal("+@read allkeys", "GET", "k"));
        assertEquals("COMMAND", refusal("+@read allkeys", "SET", "k", "v"));
        assertEquals("COMMAND", refusal("+@all -@dangerous allkeys", "FLUSHALL"));
        assertNull(refusal("+@all -@dangerous +flushall allkeys", "FLUSHALL"));
        assertNull(refusal("+config|get", "CONFIG", "GET", "maxmemory"));
        assertEquals("COMMAND", refusal("+config|get", "CONFIG", "SET", "maxmemory", "1"));
        assertNull(refusal("+config -config|set", "CONFIG", "GET", "x"));
        assertEquals("COMMAND", refusal("+config -config|set", "CONFIG", "SET", "x", "1"));
        assertEquals("-@all +get +set", user("+get +set").describeCommands());
        assertEquals("-@all +set -get", user("+get +set -get").describeCommands(), "a later rule for a command replaces an earlier one");
        assertEquals("+@all -@dangerous", user("allcommands -@dangerous").describeCommands());
        assertEquals("-@all", user("+@all +get nocommands").describeCommands());
    }

    @Test
    void keyPatternsGrantReadAndWriteSeparately() throws AclRuleException {
        String rules = "+@all %R~r:* %W~w:* ~rw:*";
        assertNull(refusal(rules, "GET", "r:1"));
        assertEquals("KEY w:1", refusal(rules, "GET", "w:1"));
        assertNull(refusal(rules, "SET", "w:1", "v"), "a plain SET only writes");
        assertEquals("KEY w:1", refusal(rules, "SET", "w:1", "v", "GET"), "SET ... GET reads too");
        assertNull(refusal(rules, "COPY", "r:1", "w:2"));
        assertEquals("KEY w:2", refusal(rules, "COPY", "w:2", "r:1"));
        assertNull(refusal(rules, "EXISTS", "r:1", "w:1"), "EXISTS neither reads nor writes the value");
        assertEquals("KEY other", refusal(rules, "MGET", "rw:1", "r:2", "other"));
        assertEquals("KEY no", refusal(rules, "MSET", "rw:1", "x", "no", "y"));
        assertEquals("%R~r:* %W~w:* ~rw:*", user(rules).describeKeys());
    }

    @Test
    void scriptsDeclaredKeysAndKeywordKeysAreChecked() throws AclRuleException {
        assertNull(refusal("+@all ~app:*", "EVAL", "return 1", "2", "app:1", "app:2", "notakey"));
        assertEquals("KEY other", refusal("+@all ~app:*", "EVAL", "return 1", "2", "app:1", "other"));
        assertNull(refusal("+@all ~app:*", "EVAL", "return 1", "9", "app:1"), "a bad numkeys is the backend's error");
        assertEquals("KEY b", refusal("+@all ~a", "XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"));
        assertNull(refusal("+@all ~a", "XREAD", "COUNT", "1", "STREAMS", "a", "0"));
    }

    @Test
    void channelsAreGlobsAndPatternSubscriptionsMustMatchLiterally() throws AclRuleException {
        assertNull(refusal("+@all &news:*", "PUBLISH", "news:1", "m"));
        assertEquals("CHANNEL sport", refusal("+@all &news:*", "PUBLISH", "sport", "m"));
        assertEquals("CHANNEL sport", refusal("+@all &news:*", "SUBSCRIBE", "news:a", "sport"));
        assertNull(refusal("+@all &news:*", "PSUBSCRIBE", "news:*"));
        assertEquals("CHANNEL news:a*", refusal("+@all &news:*", "PSUBSCRIBE", "news:a*"));
        assertNull(refusal("+@all allchannels", "PSUBSCRIBE", "*"));
    }

    @Test
    void resetStartsOverAndUnrestrictedUsersSkipTheCheck() throws AclRuleException {
        AclUser all = user("on nopass ~* &* +@all");
        assertTrue(all.unrestricted());
        assertEquals("on nopass ~* &* +@all", all.describe());
        AclUser again = user("on nopass ~* &* +@all reset");
        assertEquals("off resetchannels -@all", again.describe());
        assertFalse(user("on nopass ~* &* +@all -get").unrestricted());
    }

    @Test
    void aDescriptionRebuildsTheSameUser() throws AclRuleException {
        AclUser u = user("on >pw %R~r:* ~k:* &c:* +@read -mget +config|get");
        AclUser rebuilt = user(u.describe());
        assertEquals(u.describe(), rebuilt.describe());
        assertEquals(refusal(u.describe(), "MGET", "k:1"), refusal("on >pw %R~r:* ~k:* &c:* +@read -mget +config|get", "MGET", "k:1"));
    }
}
