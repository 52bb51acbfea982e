#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "orchestrator/channel.hpp"

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

}  // namespace
}  // namespace emosweep::orchestrator
