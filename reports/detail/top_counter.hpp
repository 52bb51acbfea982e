// Counts the most frequent keys of a stream in bounded memory (a batched Space-Saving
// sketch). Exact while at most 2 × capacity distinct keys have been seen; beyond that the
// least frequent half is dropped whenever the table is full, and a key added afterwards
// starts from the largest dropped count, so every reported count c with error e satisfies
// c − e ≤ true count ≤ c. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

namespace emosweep::reports::detail {

class TopCounter {
 public:
  struct Entry {
    std::string key;
    std::uint64_t count = 0;
    std::uint64_t error = 0;
  };

  explicit TopCounter(std::size_t capacity = 8192) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(std::string_view key);
  // The k most frequent keys, by count (descending) then key.
  std::vector<Entry> top(std::size_t k) const;
  bool exact() const { return floor_ == 0; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };
  struct Count {
    std::uint64_t count = 0;
    std::uint64_t error = 0;
  };
  void prune();

  std::size_t capacity_;
  std::uint64_t floor_ = 0;  // largest count dropped so far
  boost::unordered_flat_map<std::string, Count, Hash, Equal> counts_;
};

}  // namespace emosweep::reports::detail
