package io.keymesh.topology.failover;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import io.keymesh.topology.link.ServeStatus;

import java.time.Duration;
import java.util.List;

/**
 * A primary's write quorum, Redis' {@code min-replicas-to-write} / {@code min-replicas-max-lag}: client
 * writes are refused with {@code -NOREPLICAS} while fewer than {@code replicasMin} replicas are streaming
 * with their last acknowledgement at most {@code lagMax} old. Off when either is zero, as in Redis.
 *
 * @param replicasMin {@code keymesh.min-replicas-to-write}; 0 turns the check off
 * @param lagMax      {@code keymesh.min-replicas-max-lag}; zero turns the check off
 */
public record WriteQuorum(int replicasMin, Duration lagMax) {
    /** Redis' error reply to a write refused for want of good replicas (without the leading '-'). */
    public static final String NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
    /** Redis' reply to an EXEC refused for want of good replicas (the transaction is discarded). */
    public static final String EXECABORT = "EXECABORT Transaction discarded because of: " + NOREPLICAS;

    public static final WriteQuorum OFF = new WriteQuorum(0, Duration.ofSeconds(10));

    public WriteQuorum {
        if (replicasMin < 0) {
            throw new ConfigException.BadValue("keymesh.min-replicas-to-write", "must be >= 0, got " + replicasMin);
        }
        if (lagMax.isNegative()) {
            throw new ConfigException.BadValue("keymesh.min-replicas-max-lag", "must be >= 0, got " + lagMax);
        }
    }

    /**
     * Reads the two keys from the {@code keymesh} section. The lag is a duration ("10s", "500ms"); a bare
     * number means seconds, as Redis' {@code min-replicas-max-lag} does.
     */
    public static WriteQuorum from(Config keymesh) {
        int min = keymesh.getInt("min-replicas-to-write");
        String lagKey = "min-replicas-max-lag";
        Duration lag = keymesh.getValue(lagKey).valueType() == ConfigValueType.NUMBER
                ? Duration.ofMillis(Math.round(keymesh.getDouble(lagKey) * 1000))
                : keymesh.getDuration(lagKey);
        return new WriteQuorum(min, lag);
    }

    /** True when writes depend on replicas at all. */
    public boolean enabled() {
        return replicasMin > 0 && !lagMax.isZero();
    }

    /** Replicas that count: streaming, and acknowledged within {@code lagMax} of {@code nowMillis}. */
    public int goodReplicas(List<ServeStatus> replicas, long nowMillis) {
        int good = 0;
        for (ServeStatus r : replicas) {
            if (isGood(r.state(), r.lastAckMillis(), nowMillis)) {
                good++;
            }
        }
        return good;
    }

    /** One replica's verdict from its link state and the wall millis of its last acknowledgement. */
    public boolean isGood(String linkState, long lastAckMillis, long nowMillis) {
        return "streaming".equals(linkState) && nowMillis - lastAckMillis <= lagMax.toMillis();
    }

    /** True when a write may run: the check is off, or {@code goodReplicas} reaches {@code replicasMin}. */
    public boolean allowsWrites(int goodReplicas) {
        return !enabled() || goodReplicas >= replicasMin;
    }
}
