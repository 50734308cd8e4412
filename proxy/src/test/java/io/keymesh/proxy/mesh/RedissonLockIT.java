package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RFuture;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Redisson's {@link RLock} (its lock, unlock and watchdog are EVAL scripts; waiters are woken by a
 * PUBLISH the unlock script makes) on both primaries of a mesh: a lock held through node A is
 * refused through node B, and a waiter on B takes it as soon as A's unlock arrives.
 */
class RedissonLockIT extends MeshTest {
    private static final String LOCK = "orders-lock";

    private static RedissonClient redisson(MeshNode node) {
        Config config = new Config();
        config.useSingleServer().setAddress("redis://127.0.0.1:" + node.port())
                .setConnectionMinimumIdleSize(1).setConnectionPoolSize(4)
                .setSubscriptionConnectionMinimumIdleSize(1).setSubscriptionConnectionPoolSize(2)
                .setTimeout(10_000);
        return Redisson.create(config);
    }

    @Test
    void aLockHeldOnAIsRefusedOnBAndAWaiterOnBTakesItWhenTheUnlockArrives() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        RedissonClient onA = redisson(a);
        RedissonClient onB = redisson(b);
        try {
            RLock lockA = onA.getLock(LOCK);
            RLock lockB = onB.getLock(LOCK);
            long waiterThread = 4242;
            assertTrue(lockA.tryLock(0, 60, TimeUnit.SECONDS), "A takes the free lock");
            Await.until(CONVERGE, "A's lock reaches B", () -> b.sync().exists(LOCK) == 1, () -> "absent on B");
            assertFalse(lockB.tryLockAsync(0, 60, TimeUnit.SECONDS, waiterThread).get(20, TimeUnit.SECONDS),
                    "held through A: B cannot take it");
            assertTrue(lockB.isLocked(), "B sees it locked");

            // a waiter on B, woken by the unlock's PUBLISH (the lease, 60 s, is longer than it waits)
            RFuture<Boolean> waiter = lockB.tryLockAsync(20, 60, TimeUnit.SECONDS, waiterThread);
            Await.until(CONVERGE, "the waiter on B has subscribed to the lock's channel",
                    () -> b.sync().pubsubNumsub("redisson_lock__channel:{" + LOCK + "}").values().iterator().next() >= 1,
                    () -> "no subscriber on B");
            lockA.unlock();
            assertTrue(waiter.get(30, TimeUnit.SECONDS), "B's waiter takes the lock after A's unlock reaches B");
            assertTrue(lockB.isHeldByThread(waiterThread));

            Await.until(CONVERGE, "B's lock reaches A", () -> lockA.isLocked(), () -> "A sees it unlocked");
            assertFalse(lockA.tryLock(0, 60, TimeUnit.SECONDS), "held through B: A cannot take it");
            lockB.unlockAsync(waiterThread).get(20, TimeUnit.SECONDS);
            Await.until(CONVERGE, "B's unlock reaches A", () -> a.sync().exists(LOCK) == 0, () -> "still locked on A");
            assertTrue(lockA.tryLock(0, 60, TimeUnit.SECONDS), "A takes it again");
            lockA.unlock();
            mesh.awaitConverged(CONVERGE);
            assertEquals(0L, b.sync().exists(LOCK));
        } finally {
            onA.shutdown(0, 5, TimeUnit.SECONDS);
            onB.shutdown(0, 5, TimeUnit.SECONDS);
        }
    }
}
