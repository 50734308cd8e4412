package io.keymesh.proxy.acl;

/**
 * One of a command's key specifications as Redis 7.0's COMMAND INFO describes them: where the
 * search for keys begins (an argument index, or the argument after a keyword) and how the keys
 * are found from there (a range, or a count read from an argument), with the permissions a user
 * needs on those keys ({@link #READ}, {@link #WRITE}, both or neither).
 *
 * @param need      permission bits a key found by this spec requires
 * @param index     begin search at this argument index (0: by keyword, -1: unknown)
 * @param keyword   begin search after this keyword (null unless index is 0)
 * @param startFrom where the keyword search starts; negative counts from the end and searches backwards
 * @param find      how keys are found from the begin position
 * @param a         RANGE: lastkey; KEYNUM: keynumidx
 * @param b         RANGE: keystep; KEYNUM: firstkey
 * @param c         RANGE: limit;   KEYNUM: keystep
 */
public record KeySearch(int need, int index, String keyword, int startFrom, Find find, int a, int b, int c) {
    /** The user must be allowed to read the key (%R~). */
    public static final int READ = 1;
    /** The user must be allowed to write the key (%W~). */
    public static final int WRITE = 2;

    /** How keys are found once the search has begun. */
    public enum Find { RANGE, KEYNUM, UNKNOWN }

    /** True when keymesh can find this spec's keys by itself. */
    public boolean known() {
        return index >= 0 && find != Find.UNKNOWN;
    }
}
