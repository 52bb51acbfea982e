// A bounded multi-producer queue of owned objects between threads, built on Boost.Lockfree:
// producers never take a lock (a CAS and an atomic add; a futex wake only when the consumer
// sleeps), and a full queue says so instead of blocking (back-pressure is the caller's).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <ctime>
#include <memory>

#include <boost/lockfree/queue.hpp>

namespace emosweep::orchestrator {

// Sleeps while `word` still holds `expected` (a futex: no spinning, unlike the library's
// atomic::wait, which yields in a loop before it sleeps and so burns a core when idle).
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       const timespec* timeout = nullptr) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
            timeout, nullptr, 0);
}
inline void futex_wake_all(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX,
            nullptr, nullptr, 0);
}

// Wake-ups are batched: a sleeping consumer is woken when `wake_batch` items are waiting (or
// at close), and otherwise wakes itself every `tick`. At tens of thousands of items a second
// that turns one futex wake and context switch per item into one per batch, for at most a tick
// of added latency (nothing here is latency-sensitive: answers are scored, stored, counted).
template <typename T>
class Channel {
 public:
  explicit Channel(std::size_t capacity, std::size_t wake_batch = 64,
                   std::chrono::microseconds tick = std::chrono::milliseconds(2))
      : queue_(capacity),
        wake_batch_(std::max<std::size_t>(1, std::min(wake_batch, capacity / 2))),
        tick_(tick) {}
  ~Channel() {
    T* item = nullptr;
    while (queue_.pop(item))
      delete item;
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Takes ownership on success; false (and `item` untouched) when the queue is full.
  bool try_push(std::unique_ptr<T>& item) {
    if (!queue_.bounded_push(item.get())) return false;
    item.release();
    pushes_.fetch_add(1, std::memory_order_relaxed);
    // Sequentially consistent with the consumer's `sleeping_` store (Dekker's pattern): either
    // it sees the new count and does not sleep, or we see it sleeping and wake it. One wake per
    // sleep: the producer that wakes it clears the flag, so the pushes made before the consumer
    // gets a core do not each pay a futex call.
    pushed_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) && depth() >= wake_batch_ &&
        sleeping_.exchange(false, std::memory_order_seq_cst)) {
      wakes_.fetch_add(1, std::memory_order_relaxed);
      futex_wake_all(pushed_);
    }
    return true;
  }

  std::unique_ptr<T> try_pop() {
    T* item = nullptr;
    if (!queue_.pop(item)) return nullptr;
    popped_.fetch_add(1, std::memory_order_relaxed);
    return std::unique_ptr<T>(item);
  }

  // Pops, sleeping while the queue is empty; nullptr once close() was called and the queue is
  // drained. For consumers only.
  std::unique_ptr<T> pop_wait() {
    for (;;) {
      const std::uint32_t seen = pushed_.load(std::memory_order_seq_cst);
      if (auto item = try_pop()) return item;
      if (closed_.load(std::memory_order_acquire)) {
        if (auto item = try_pop()) return item;
        return nullptr;
      }
      sleeping_.store(true, std::memory_order_seq_cst);
      if (queue_.empty() && !closed_.load(std::memory_order_acquire)) {
        sleeps_.fetch_add(1, std::memory_order_relaxed);
        const auto us = tick_.count();
        const timespec timeout{static_cast<time_t>(us / 1'000'000),
                               static_cast<long>(us % 1'000'000) * 1000};
        futex_wait(pushed_, seen, &timeout);
      }
      sleeping_.store(false, std::memory_order_relaxed);
    }
  }

  // After the last push: consumers drain what is left, then get nullptr.
  void close() {
    closed_.store(true, std::memory_order_release);
    pushed_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(pushed_);
  }

  // Diagnostics: how often the consumer went to sleep, and how often a producer woke it.
  std::uint64_t sleeps() const { return sleeps_.load(std::memory_order_relaxed); }
  std::uint64_t wakes() const { return wakes_.load(std::memory_order_relaxed); }

  std::size_t depth() const {
    const auto q = popped_.load(std::memory_order_relaxed);
    const auto p = pushes_.load(std::memory_order_relaxed);
    return p > q ? static_cast<std::size_t>(p - q) : 0;
  }

 private:
  boost::lockfree::queue<T*> queue_;
  std::size_t wake_batch_;
  std::chrono::microseconds tick_;
  std::atomic<std::uint32_t> pushed_{0};  // the futex word: wraps, only compared for change
  std::atomic<std::uint64_t> pushes_{0};
  std::atomic<std::uint64_t> popped_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> sleeps_{0};
  std::atomic<std::uint64_t> wakes_{0};
};

}  // namespace emosweep::orchestrator
