#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include <poll.h>

#include "orchestrator/channel.hpp"
#include "orchestrator/runtime.hpp"

namespace emosweep::orchestrator {
namespace {

TEST(Channel, BackPressureWhenFull) {
  Channel<int> ch(4);
  int pushed = 0;
  for (int i = 0; i < 100; ++i) {
    auto v = std::make_unique<int>(i);
    if (!ch.try_push(v)) {
      EXPECT_NE(v, nullptr);  // ownership stays with the caller
      break;
    }
    ++pushed;
  }
  EXPECT_GE(pushed, 4);
  EXPECT_LT(pushed, 100);
  EXPECT_EQ(ch.depth(), static_cast<std::size_t>(pushed));
  EXPECT_EQ(*ch.try_pop(), 0);
}

TEST(Channel, ManyProducersOneSleepingConsumerEveryItemExactlyOnce) {
  Channel<std::uint64_t> ch(64);
  constexpr int kProducers = 4;
  constexpr std::uint64_t kEach = 50'000;
  std::vector<std::uint64_t> seen(kProducers * kEach, 0);
  std::thread consumer([&] {
    while (auto v = ch.pop_wait())
      ++seen[*v];
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < kEach; ++i) {
        auto v = std::make_unique<std::uint64_t>(p * kEach + i);
        while (!ch.try_push(v))
          std::this_thread::yield();
        if (i % 4096 == 0)
          std::this_thread::sleep_for(std::chrono::microseconds(50));  // let it sleep
      }
    });
  }
  for (auto& t : producers)
    t.join();
  ch.close();
  consumer.join();
  for (std::size_t i = 0; i < seen.size(); ++i)
    ASSERT_EQ(seen[i], 1u) << i;
}

// A producer far faster than the consumer wakes it once per sleep, not once per push made
// while the woken consumer waits for a core.
TEST(Channel, OneWakePerSleep) {
  Channel<std::uint64_t> ch(1u << 16, /*wake_batch=*/8, std::chrono::seconds(10));
  std::uint64_t received = 0;
  std::thread consumer([&] {
    while (auto v = ch.pop_wait())
      ++received;
  });
  // Bursts: the eighth push of a burst wakes the sleeping consumer, the rest are made while it
  // wakes up; between bursts it drains the queue and sleeps again.
  constexpr std::uint64_t kBursts = 300, kBurst = 200;
  for (std::uint64_t b = 0; b < kBursts; ++b) {
    for (std::uint64_t i = 0; i < kBurst; ++i) {
      auto v = std::make_unique<std::uint64_t>(b * kBurst + i);
      while (!ch.try_push(v))
        std::this_thread::yield();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  ch.close();
  consumer.join();
  EXPECT_EQ(received, kBursts * kBurst);
  EXPECT_GT(ch.sleeps(), kBursts / 2);
  EXPECT_LE(ch.wakes(), ch.sleeps());
}

}  // namespace
}  // namespace emosweep::orchestrator

namespace emosweep::orchestrator::detail {
namespace {

bool readable(const Doorbell& bell, int timeout_ms) {
  pollfd fd{bell.fd(), POLLIN, 0};
  return ::poll(&fd, 1, timeout_ms) == 1 && (fd.revents & POLLIN);
}

TEST(Doorbell, RingsUntilClearedAndCoalesces) {
  Doorbell bell;
  ASSERT_GE(bell.fd(), 0);
  EXPECT_FALSE(readable(bell, 0));
  bell.ring();
  bell.ring();
  EXPECT_TRUE(readable(bell, 0));
  EXPECT_TRUE(readable(bell, 0));  // polling does not consume it
  bell.clear();                    // one clear takes both rings
  EXPECT_FALSE(readable(bell, 0));
  bell.clear();  // clearing a silent bell neither blocks nor fails
  EXPECT_FALSE(readable(bell, 0));
}

TEST(Doorbell, WakesAPollOnAnotherThread) {
  Doorbell bell;
  std::thread ringer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    bell.ring();
  });
  // Without the ring this poll would wait the whole minute; the test does not time it.
  EXPECT_TRUE(readable(bell, 60'000));
  ringer.join();
}

}  // namespace
}  // namespace emosweep::orchestrator::detail
