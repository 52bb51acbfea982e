// Request counters of the mock provider, built for many threads: plain counters live in one
// cache-line-aligned block per worker thread (relaxed atomics, never contended), per-prompt
// counts in hash-sharded maps with one small mutex per shard.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/hash.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::providers::mock {

// Thread-safe. A counter shard should be used by one thread (any thread may read it).
class Stats {
 public:
  explicit Stats(std::size_t counter_shards);
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;

  void count_connection(std::size_t shard) { bump(counters_[shard].connections); }
  void count_request(std::size_t shard) { bump(counters_[shard].requests); }
  void count_status(std::size_t shard, unsigned status) {
    bump(counters_[shard].by_status[status < kStatuses ? status : 0]);
  }
  void count_fault(std::size_t shard, FaultKind kind) {
    bump(counters_[shard].faults[static_cast<std::size_t>(kind)]);
  }
  void count_rate_limited(std::size_t shard) { bump(counters_[shard].rate_limited); }
  // Counts one request for `key` (SHA-256 of model + '\n' + last user message) and returns
  // how many there were before it: the request's attempt index.
  std::uint64_t count_prompt(const hash::Sha256& key);

  // The GET /stats document (see MockServer::stats_json).
  std::string to_json(bool summary) const;
  void reset();

 private:
  static constexpr unsigned kStatuses = 600;
  static constexpr std::size_t kPromptShards = 64;

  static void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  struct alignas(64) Counters {
    std::atomic<std::uint64_t> connections{0}, requests{0}, rate_limited{0};
    std::array<std::atomic<std::uint64_t>, kStatuses> by_status{};
    std::array<std::atomic<std::uint64_t>, kFaultKindCount> faults{};
  };
  struct KeyHash {
    std::size_t operator()(const hash::Sha256& k) const {
      std::size_t h;
      static_assert(sizeof h <= sizeof k);
      std::memcpy(&h, k.data() + 8, sizeof h);  // SHA-256 bytes are already uniform
      return h;
    }
  };
  struct alignas(64) PromptShard {
    mutable std::mutex mutex;
    std::unordered_map<hash::Sha256, std::uint64_t, KeyHash> counts;
  };

  std::size_t shard_count_;
  std::unique_ptr<Counters[]> counters_;
  std::unique_ptr<PromptShard[]> prompts_;
};

}  // namespace emosweep::providers::mock
