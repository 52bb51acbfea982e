#include "metrics/detail/label_policy.hpp"

#include <algorithm>

namespace emosweep::metrics::detail {
namespace {

bool is_safe_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_control(unsigned char c) {
  return (c < 0x20 && !is_space(c)) || c == 0x7f || c == '\n';
}

}  // namespace

bool looks_like_api_key(std::string_view value) {
  static constexpr std::string_view prefixes[] = {"sk-",  "sk_",     "AIza",   "gsk_",
                                                  "xai-", "Bearer ", "bearer "};
  if (value.size() < 20) return false;
  return std::any_of(std::begin(prefixes), std::end(prefixes),
                     [&](std::string_view p) { return value.starts_with(p); });
}

void LabelPolicy::add_secret(std::string_view secret) {
  if (secret.size() < 8) return;
  std::lock_guard lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
    secrets_.emplace_back(secret);
  }
}

std::string LabelPolicy::clean(std::string_view raw) const {
  if (looks_like_api_key(raw)) return "redacted";
  for (const auto& secret : secrets_) {
    if (raw.find(secret) != std::string_view::npos) return "redacted";
  }
  if (raw.empty()) return "unknown";
  if (raw.size() > max_value_bytes) return "invalid";
  std::size_t spaces = 0;
  std::string out;
  out.reserve(raw.size());
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_control(c)) return "invalid";
    if (is_space(c) && ++spaces >= 3) return "invalid";
    out.push_back(is_safe_byte(c) ? ch : '_');
  }
  return out;
}

std::string LabelPolicy::sanitise(Dimension dimension, std::string_view raw) {
  std::lock_guard lock(mutex_);
  std::string value = clean(raw);
  auto& seen = seen_[static_cast<std::size_t>(dimension)];
  if (seen.contains(value)) return value;
  if (seen.size() >= max_values_per_dimension) return "other";
  seen.insert(value);
  return value;
}

}  // namespace emosweep::metrics::detail
