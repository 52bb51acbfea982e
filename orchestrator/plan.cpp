#include "orchestrator/plan.hpp"

#include <algorithm>
#include <charconv>
#include <queue>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace emosweep::orchestrator {

Shard parse_shard(std::string_view spec) {
  const auto slash = spec.find('/');
  Shard s;
  auto parse = [&](std::string_view text, std::uint32_t& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size() && !text.empty();
  };
  if (slash == std::string_view::npos || !parse(spec.substr(0, slash), s.index) ||
      !parse(spec.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count) {
    throw InputError(fmt::format("--shard: expected I/N with 0 <= I < N, got '{}'", spec));
  }
  return s;
}

std::uint32_t shard_of(std::string_view item_id, std::uint32_t shard_count) {
  return static_cast<std::uint32_t>(hash::stable64(item_id, 0x5eed) % shard_count);
}

namespace {
std::uint64_t sample_hash(const Item& item, std::uint64_t seed) {
  return hash::stable64(item.id, seed ^ 0x5a5a5a5aULL);
}
}  // namespace

ItemSelection::ItemSelection(const Task& task, const DatasetConfig& dataset, Shard shard)
    : dataset_(dataset), shard_(shard) {
  // Without a sample or shard the selection is the first `limit` items: no pass needed.
  if (const auto known = task.known_item_count(); known && !dataset_.sample && !shard_.active()) {
    dataset_items_ = *known;
    selected_ = dataset_.limit ? std::min<std::uint64_t>(dataset_.limit, *known) : *known;
    return;
  }
  // One pass: count, and for a sample find the hash threshold of the N smallest hashes.
  std::priority_queue<std::uint64_t> smallest;  // max-heap of at most `sample` hashes
  auto stream = task.items();
  std::size_t ordinal = 0;
  while (auto item = stream->next()) {
    ++dataset_items_;
    if (dataset_.limit && ordinal >= dataset_.limit) {
      ++ordinal;
      continue;
    }
    ++ordinal;
    if (dataset_.sample) {
      const std::uint64_t h = sample_hash(*item, dataset_.seed);
      if (smallest.size() < dataset_.sample) {
        smallest.push(h);
      } else if (h < smallest.top()) {
        smallest.pop();
        smallest.push(h);
      }
    }
  }
  if (dataset_.sample && smallest.size() == dataset_.sample) sample_threshold_ = smallest.top();
  // Second pass over ids only to count the shard's share exactly.
  stream = task.items();
  ordinal = 0;
  while (auto item = stream->next()) {
    if (includes(ordinal++, *item)) ++selected_;
  }
}

bool ItemSelection::includes(std::size_t ordinal, const Item& item) const {
  if (dataset_.limit && ordinal >= dataset_.limit) return false;
  if (dataset_.sample && sample_hash(item, dataset_.seed) > sample_threshold_) return false;
  if (shard_.active() && shard_of(item.id, shard_.count) != shard_.index) return false;
  return true;
}

EndpointPlan::EndpointPlan(const Task& task, const SweepConfig& config, std::size_t endpoint,
                           const ItemSelection& selection)
    : stream_(task.items()), selection_(selection) {
  for (std::uint32_t m = 0; m < config.models.size(); ++m)
    if (config.models[m].endpoint == endpoint) models_.push_back(m);
  variants_ = static_cast<std::uint32_t>(config.prompts.size());
  repeats_ = config.repeats;
  total_ = selection.selected() * models_.size() * variants_ * repeats_;
}

bool EndpointPlan::next(WorkUnit& out) {
  const std::size_t per_item = models_.size() * variants_ * repeats_;
  if (per_item == 0) return false;
  while (!current_ || slot_ >= per_item) {
    current_ = stream_->next();
    if (!current_) return false;
    slot_ = 0;
    if (!selection_.includes(ordinal_++, *current_)) current_.reset();
  }
  // slot -> (variant, model, repeat), repeats innermost.
  const std::size_t s = slot_++;
  out.item = current_;
  out.repeat = static_cast<std::uint32_t>(s % repeats_);
  out.model = models_[(s / repeats_) % models_.size()];
  out.variant = static_cast<std::uint32_t>(s / (repeats_ * models_.size()));
  return true;
}

}  // namespace emosweep::orchestrator
