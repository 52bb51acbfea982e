// A bounded multi-producer queue of owned objects between threads, built on Boost.Lockfree:
// producers never take a lock (a CAS and an atomic add; a futex wake only when the consumer
// sleeps), and a full queue says so instead of blocking (back-pressure is the caller's).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <boost/lockfree/queue.hpp>

namespace emosweep::orchestrator {

template <typename T>
class Channel {
 public:
  explicit Channel(std::size_t capacity) : queue_(capacity) {}
  ~Channel() {
    T* item = nullptr;
    while (queue_.pop(item)) delete item;
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Takes ownership on success; false (and `item` untouched) when the queue is full.
  bool try_push(std::unique_ptr<T>& item) {
    if (!queue_.bounded_push(item.get())) return false;
    item.release();
    // Sequentially consistent with the consumer's `sleeping_` store (Dekker's pattern): either
    // it sees the new count and does not sleep, or we see it sleeping and wake it.
    pushed_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) pushed_.notify_all();
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
      const std::uint64_t seen = pushed_.load(std::memory_order_seq_cst);
      if (auto item = try_pop()) return item;
      if (closed_.load(std::memory_order_acquire)) {
        if (auto item = try_pop()) return item;
        return nullptr;
      }
      sleeping_.store(true, std::memory_order_seq_cst);
      if (queue_.empty() && !closed_.load(std::memory_order_acquire))
        pushed_.wait(seen, std::memory_order_seq_cst);
      sleeping_.store(false, std::memory_order_relaxed);
    }
  }

  // After the last push: consumers drain what is left, then get nullptr.
  void close() {
    closed_.store(true, std::memory_order_release);
    pushed_.fetch_add(1, std::memory_order_seq_cst);
    pushed_.notify_all();
  }

  std::size_t depth() const {
    const auto p = pushed_.load(std::memory_order_relaxed);
    const auto q = popped_.load(std::memory_order_relaxed);
    return p > q ? static_cast<std::size_t>(p - q) : 0;
  }

 private:
  boost::lockfree::queue<T*> queue_;
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> popped_{0};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> closed_{false};
};

}  // namespace emosweep::orchestrator
