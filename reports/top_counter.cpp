#include "reports/detail/top_counter.hpp"

#include <algorithm>

#include "core/hash.hpp"

namespace emosweep::reports::detail {

std::size_t TopCounter::Hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(hash::stable64(s));
}

void TopCounter::add(std::string_view key) {
  if (auto it = counts_.find(key); it != counts_.end()) {
    ++it->second.count;
    return;
  }
  if (counts_.size() >= 2 * capacity_) prune();
  counts_.emplace(std::string(key), Count{floor_ + 1, floor_});
}

void TopCounter::prune() {
  std::vector<std::uint64_t> values;
  values.reserve(counts_.size());
  for (const auto& [key, c] : counts_)
    values.push_back(c.count);
  // Keep the `capacity_` largest counts; ties at the threshold are dropped together so that
  // the result does not depend on the table's iteration order.
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(capacity_),
                   values.end(), std::greater<>());
  const std::uint64_t threshold = values[capacity_];
  floor_ = std::max(floor_, threshold);
  boost::unordered::erase_if(counts_, [&](const auto& kv) { return kv.second.count <= threshold; });
}

std::vector<TopCounter::Entry> TopCounter::top(std::size_t k) const {
  std::vector<Entry> all;
  all.reserve(counts_.size());
  for (const auto& [key, c] : counts_)
    all.push_back({key, c.count, c.error});
  const auto by_count = [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  };
  const std::size_t n = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), by_count);
  all.resize(n);
  return all;
}

}  // namespace emosweep::reports::detail
