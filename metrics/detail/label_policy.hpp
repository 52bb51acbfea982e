// Keeps the values of the open label dimensions (endpoint, model, variant) bounded and free of
// secrets and text. Internal to metrics/.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::metrics::detail {

enum class Dimension : std::size_t { endpoint, model, variant };

// Thread-safe: every member may be called concurrently.
class LabelPolicy {
 public:
  static constexpr std::size_t max_value_bytes = 96;
  // Beyond this many distinct values in one dimension, new values become "other": a sweep
  // names at most a few hundred endpoints, models and variants; more means a caller is
  // passing per-item data.
  static constexpr std::size_t max_values_per_dimension = 256;

  // Values containing `secret` become "redacted". Secrets shorter than 8 bytes are ignored.
  void add_secret(std::string_view secret);

  // The exported value for `raw`:
  // - "redacted" when it contains a registered secret or looks like an API key;
  // - "unknown" when empty; "invalid" when it looks like text (3+ whitespace characters,
  //   a control character) or is longer than max_value_bytes;
  // - otherwise `raw` with every byte outside [A-Za-z0-9._:/@+-] replaced by '_';
  // - "other" once the dimension already holds max_values_per_dimension distinct values.
  std::string sanitise(Dimension dimension, std::string_view raw);

 private:
  std::string clean(std::string_view raw) const;  // requires mutex_

  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
  std::array<std::set<std::string, std::less<>>, 3> seen_;
};

// True for strings shaped like the API keys of the providers we talk to (sk-…, sk-ant-…,
// AIza…, gsk_…, xai-…, Bearer …) — a second line of defence behind add_secret().
bool looks_like_api_key(std::string_view value);

}  // namespace emosweep::metrics::detail
