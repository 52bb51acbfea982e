// Internals of `emosweep run` shared by the planner, the endpoint workers and the cache
// writer. Not a public API: see run.hpp.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/key.hpp"
#include "cache/store.hpp"
#include "orchestrator/channel.hpp"
#include "orchestrator/config.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/scoring_stage.hpp"
#include "providers/types.hpp"

namespace emosweep::orchestrator::detail {

// A wake-up for one sleeping thread that costs nothing when nobody sleeps.
class Signal {
 public:
  std::uint32_t epoch() const { return epoch_.load(std::memory_order_seq_cst); }
  void notify() {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) futex_wake_all(epoch_);
  }
  // Sleeps until notify() was called after `seen` was read. Several threads may wait.
  void wait(std::uint32_t seen) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    if (epoch_.load(std::memory_order_seq_cst) == seen) futex_wait(epoch_, seen);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<std::uint32_t> sleepers_{0};
};

// Wakes the supervising thread, which polls it beside the signal descriptor, when the work
// may be over: a run ends the moment its last answer is stored instead of on the next
// progress tick. Any thread; ringing is a single write(2) and is rare (an endpoint drained).
class Doorbell {
 public:
  Doorbell() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Doorbell() {
    if (fd_ >= 0) ::close(fd_);
  }
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;
  void ring() {
    const std::uint64_t one = 1;
    if (fd_ >= 0) [[maybe_unused]]
      auto n = ::write(fd_, &one, sizeof one);
  }
  // -1 when no eventfd could be made: the supervisor then only polls on its tick.
  int fd() const { return fd_; }
  void clear() {
    std::uint64_t count = 0;
    if (fd_ >= 0) [[maybe_unused]]
      auto n = ::read(fd_, &count, sizeof count);
  }

 private:
  int fd_;
};

// A request to send: everything the network side needs, prepared by the planner.
struct Job {
  WorkUnit unit;
  cache::Key key;
  std::string key_hex;
  providers::ChatRequest request;  // the messages are dropped once `http` is encoded
  providers::HttpRequest http;     // the encoded request (made by the planner)
  std::uint64_t estimated_prompt_tokens = 0;
  std::uint64_t estimated_tokens = 0;  // prompt estimate + max tokens (what limits charge)
  std::uint64_t estimated_cost_micros = 0;
};

// What leaves the network side: a response to store (value set), a failure, or a unit dropped
// by a shutdown. Everything goes through the cache writer so that single flight is resolved
// in one place and nothing is counted before it is stored.
struct PendingStore {
  cache::Key key;
  // The endpoint whose concurrency slot this answer holds until it is durable: the slot is
  // released by the writer, so answers not yet in the WAL never exceed the concurrency.
  std::uint32_t endpoint = 0;
  bool has_value = false;
  cache::CachedResponse value;
  bool dropped = false;
  std::unique_ptr<Completion> completion;  // null when dropped
};

// Identical requests in flight at the same time are sent once: the first is the leader, the
// others wait for its answer. Used by the planner and the writer (never the network threads).
class SingleFlight {
 public:
  // True when the caller leads (nothing with this key in flight); otherwise `unit` is parked.
  bool join(const cache::Key& key, const WorkUnit& unit);
  // The leader finished: returns the parked followers.
  std::vector<WorkUnit> finish(const cache::Key& key);

 private:
  struct Hash {
    std::size_t operator()(const cache::Key& k) const noexcept {
      std::size_t h;
      std::memcpy(&h, k.data(), sizeof h);
      return h;
    }
  };
  std::mutex mutex_;
  std::unordered_map<cache::Key, std::vector<WorkUnit>, Hash> flights_;
};

// Counters of this invocation (run.json, progress line): any thread, relaxed atomics.
struct RunCounters {
  std::atomic<std::uint64_t> requests_sent{0};
  std::atomic<std::uint64_t> responses_ok{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> cache_replays{0};
  std::atomic<std::uint64_t> cache_stores{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> spent_micros{0};     // USD × 1e6 of answers received
  std::atomic<std::uint64_t> reserved_micros{0};  // estimates of requests in flight
};

}  // namespace emosweep::orchestrator::detail
