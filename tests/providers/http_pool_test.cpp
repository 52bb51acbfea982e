// The keep-alive pool's bookkeeping, stepped with fake connections and a fake clock.
#include <gtest/gtest.h>

#include "providers/http/pool.hpp"

namespace emosweep::providers::http_detail {
namespace {

using namespace std::chrono_literals;

struct FakeConnection {
  int id = 0;
  bool alive = true;
  bool looks_alive() const { return alive; }
};

using Ledger = PoolLedger<FakeConnection>;
const Ledger::Clock::time_point t0{};

std::unique_ptr<FakeConnection> conn(int id) {
  return std::make_unique<FakeConnection>(FakeConnection{id, true});
}

TEST(PoolLedger, GrantsSlotsUpToTheCapThenQueues) {
  Ledger pool(2, 60s);
  auto a = pool.try_acquire(t0);
  auto b = pool.try_acquire(t0);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->reused());
  EXPECT_EQ(pool.open(), 2u);
  EXPECT_FALSE(pool.try_acquire(t0).has_value());
  EXPECT_EQ(pool.open(), 2u);
}

TEST(PoolLedger, ReusesTheMostRecentlyReleasedConnection) {
  Ledger pool(4, 60s);
  ASSERT_TRUE(pool.try_acquire(t0));
  ASSERT_TRUE(pool.try_acquire(t0));
  pool.release(conn(1), true, t0);
  pool.release(conn(2), true, t0 + 1s);
  EXPECT_EQ(pool.idle(), 2u);
  auto lease = pool.try_acquire(t0 + 2s);
  ASSERT_TRUE(lease && lease->reused());
  EXPECT_EQ(lease->conn->id, 2);
  EXPECT_EQ(pool.open(), 2u);
}

TEST(PoolLedger, ClosedAndExpiredIdleConnectionsAreDropped) {
  Ledger pool(4, 10s);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pool.try_acquire(t0));
  pool.release(conn(1), true, t0);       // expires at t0 + 10s
  pool.release(conn(2), true, t0 + 8s);  // alive
  auto dead = conn(3);
  dead->alive = false;
  pool.release(std::move(dead), true, t0 + 9s);  // closed by the server while idle
  auto lease = pool.try_acquire(t0 + 12s);
  ASSERT_TRUE(lease && lease->reused());
  EXPECT_EQ(lease->conn->id, 2);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(pool.open(), 1u);  // only the one just leased
}

TEST(PoolLedger, RecentlyReleasedConnectionsAreReusedWithoutACheck) {
  Ledger pool(2, 60s, /*check_after=*/1s);
  ASSERT_TRUE(pool.try_acquire(t0));
  auto dead = conn(4);
  dead->alive = false;  // the check would say so, but it is not made this soon
  pool.release(std::move(dead), true, t0);
  auto lease = pool.try_acquire(t0 + 500ms);
  ASSERT_TRUE(lease && lease->reused());
  EXPECT_EQ(lease->conn->id, 4);
  pool.release(std::move(lease->conn), true, t0 + 500ms);
  auto checked = pool.try_acquire(t0 + 1500ms);  // idle for 1 s: checked, found closed
  ASSERT_TRUE(checked);
  EXPECT_FALSE(checked->reused());
  EXPECT_EQ(pool.open(), 1u);
}

TEST(PoolLedger, ReleasingWithoutKeepAliveFreesTheSlot) {
  Ledger pool(1, 60s);
  ASSERT_TRUE(pool.try_acquire(t0));
  pool.release(conn(1), false, t0);
  EXPECT_EQ(pool.open(), 0u);
  EXPECT_EQ(pool.idle(), 0u);
  ASSERT_TRUE(pool.try_acquire(t0));
  pool.release_slot();  // a connect that failed
  EXPECT_EQ(pool.open(), 0u);
}

TEST(PoolLedger, WaitersAreServedInOrderWithConnectionsOrSlots) {
  Ledger pool(1, 60s);
  ASSERT_TRUE(pool.try_acquire(t0));
  Ledger::Waiter first, second;
  int woken_first = 0, woken_second = 0;
  first.wake = [&] { ++woken_first; };
  second.wake = [&] { ++woken_second; };
  pool.enqueue(first);
  pool.enqueue(second);
  EXPECT_EQ(pool.waiting(), 2u);

  pool.release(conn(7), true, t0);  // handed straight to the first waiter
  EXPECT_EQ(woken_first, 1);
  EXPECT_EQ(woken_second, 0);
  ASSERT_TRUE(first.handoff && first.handoff->reused());
  EXPECT_EQ(first.handoff->conn->id, 7);
  EXPECT_EQ(pool.idle(), 0u);

  pool.release(std::move(first.handoff->conn), false, t0);  // closed: the slot passes on
  EXPECT_EQ(woken_second, 1);
  ASSERT_TRUE(second.handoff);
  EXPECT_FALSE(second.handoff->reused());
  EXPECT_EQ(pool.open(), 1u);
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST(PoolLedger, AbandonedWaitersReturnWhatTheyWereHanded) {
  Ledger pool(1, 60s);
  ASSERT_TRUE(pool.try_acquire(t0));
  Ledger::Waiter gave_up, handed;
  gave_up.wake = handed.wake = [] {};
  pool.enqueue(gave_up);
  pool.abandon(gave_up, t0);  // timed out while queued
  EXPECT_EQ(pool.waiting(), 0u);

  pool.enqueue(handed);
  pool.release(conn(3), true, t0);  // handed over, but the waiter was cancelled meanwhile
  pool.abandon(handed, t0);
  EXPECT_EQ(pool.idle(), 1u);  // back in the pool, not lost
  EXPECT_EQ(pool.open(), 1u);
}

TEST(PoolLedger, FreshOnlyNeverReusesAndMakesRoomAtTheCap) {
  Ledger pool(2, 60s);
  ASSERT_TRUE(pool.try_acquire(t0));
  ASSERT_TRUE(pool.try_acquire(t0));
  pool.release(conn(1), true, t0);
  auto lease = pool.try_acquire(t0, /*fresh_only=*/true);
  ASSERT_TRUE(lease);
  EXPECT_FALSE(lease->reused());
  EXPECT_EQ(pool.idle(), 0u);  // the idle one was closed to make room
  EXPECT_EQ(pool.open(), 2u);
}

}  // namespace
}  // namespace emosweep::providers::http_detail
