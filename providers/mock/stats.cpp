#include "providers/mock/stats.hpp"

#include <algorithm>
#include <string_view>

#include "core/json.hpp"

namespace emosweep::providers::mock {

Stats::Stats(std::size_t counter_shards)
    : shard_count_(std::max<std::size_t>(1, counter_shards)),
      counters_(new Counters[shard_count_]),
      prompts_(new PromptShard[kPromptShards]) {}

std::uint64_t Stats::count_prompt(const hash::Sha256& key) {
  PromptShard& shard = prompts_[key[0] % kPromptShards];
  std::lock_guard lock(shard.mutex);
  return shard.counts[key]++;
}

std::string Stats::to_json(bool summary) const {
  const auto sum = [&](auto member) {
    std::uint64_t total = 0;
    for (std::size_t s = 0; s < shard_count_; ++s)
      total += member(counters_[s]).load(std::memory_order_relaxed);
    return total;
  };
  json::Writer w;
  w.begin_object();
  w.field("requests", sum([](const Counters& c) -> const auto& { return c.requests; }));
  w.field("connections", sum([](const Counters& c) -> const auto& { return c.connections; }));
  w.key("responses_by_status").begin_object();
  for (unsigned status = 1; status < kStatuses; ++status) {
    const std::uint64_t n =
        sum([status](const Counters& c) -> const auto& { return c.by_status[status]; });
    if (n > 0) w.field(std::to_string(status), n);
  }
  w.end_object();
  w.field("rate_limited", sum([](const Counters& c) -> const auto& { return c.rate_limited; }));
  w.key("faults").begin_object();
  for (std::size_t k = 0; k < kFaultKindCount; ++k)
    w.field(to_string(static_cast<FaultKind>(k)),
            sum([k](const Counters& c) -> const auto& { return c.faults[k]; }));
  w.end_object();

  std::uint64_t distinct = 0, max_per_prompt = 0;
  for (std::size_t s = 0; s < kPromptShards; ++s) {
    std::lock_guard lock(prompts_[s].mutex);
    distinct += prompts_[s].counts.size();
    for (const auto& [key, n] : prompts_[s].counts)
      max_per_prompt = std::max(max_per_prompt, n);
  }
  w.field("prompts", distinct).field("max_per_prompt", max_per_prompt);
  if (!summary) {
    w.key("per_prompt").begin_object();
    for (std::size_t s = 0; s < kPromptShards; ++s) {
      std::lock_guard lock(prompts_[s].mutex);
      for (const auto& [key, n] : prompts_[s].counts)
        w.field(hash::to_hex(key), n);
    }
    w.end_object();
  }
  w.end_object();
  return w.take();
}

void Stats::reset() {
  for (std::size_t s = 0; s < shard_count_; ++s) {
    Counters& c = counters_[s];
    for (auto* a : {&c.connections, &c.requests, &c.rate_limited})
      a->store(0, std::memory_order_relaxed);
    for (auto& a : c.by_status)
      a.store(0, std::memory_order_relaxed);
    for (auto& a : c.faults)
      a.store(0, std::memory_order_relaxed);
  }
  for (std::size_t s = 0; s < kPromptShards; ++s) {
    std::lock_guard lock(prompts_[s].mutex);
    prompts_[s].counts.clear();
  }
}

}  // namespace emosweep::providers::mock
