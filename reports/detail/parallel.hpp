// A minimal parallel loop for the bootstrap: indices are handed out in small blocks from an
// atomic counter to `threads` std::jthreads started and joined here. `fn` must not throw and
// must write only to memory owned by its index, so results never depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace emosweep::reports::detail {

inline unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

template <typename Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
  constexpr std::size_t kBlock = 8;
  const std::size_t workers =
      std::min<std::size_t>(resolve_threads(threads), (n + kBlock - 1) / kBlock);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      const std::size_t begin = next.fetch_add(kBlock, std::memory_order_relaxed);
      if (begin >= n) return;
      const std::size_t end = std::min(n, begin + kBlock);
      for (std::size_t i = begin; i < end; ++i)
        fn(i);
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w)
    pool.emplace_back(work);
  work();
}

}  // namespace emosweep::reports::detail
