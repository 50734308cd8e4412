package io.keymesh.proxy.resp;

/**
 * Bounds on what a client may send, checked by {@link RespFrameDecoder}. Defaults are Redis' own:
 * {@code proto-max-bulk-len} 512 MB, 1M arguments per request, 64 KB inline requests; clients that
 * have not authenticated yet are held to 10 arguments and 16 KB bulks, as Redis 7 does.
 */
public record RespLimits(long bulkLengthMax, int argumentCountMax, int inlineLengthMax,
                         int unauthenticatedArgumentCountMax, int unauthenticatedBulkLengthMax) {

    public static final RespLimits REDIS_DEFAULTS = new RespLimits(512L * 1024 * 1024, 1024 * 1024, 64 * 1024, 10, 16 * 1024);

    public RespLimits {
        if (bulkLengthMax < 1 || bulkLengthMax > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("bulkLengthMax must be in [1, 2^31-65], got " + bulkLengthMax);
        }
        if (argumentCountMax < 1) {
            throw new IllegalArgumentException("argumentCountMax must be >= 1, got " + argumentCountMax);
        }
        if (inlineLengthMax < 16) {
            throw new IllegalArgumentException("inlineLengthMax must be >= 16, got " + inlineLengthMax);
        }
    }

    public RespLimits withBulkLengthMax(long max) {
        return new RespLimits(max, argumentCountMax, inlineLengthMax, unauthenticatedArgumentCountMax, unauthenticatedBulkLengthMax);
    }
}
