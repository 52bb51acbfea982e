#include "providers/types.hpp"

namespace emosweep::providers {

std::optional<Dialect> dialect_from_string(std::string_view name) {
  if (name == "openai") return Dialect::openai;
  if (name == "azure") return Dialect::azure;
  if (name == "anthropic") return Dialect::anthropic;
  if (name == "gemini") return Dialect::gemini;
  return std::nullopt;
}

std::string_view to_string(Dialect d) {
  switch (d) {
    case Dialect::openai:
      return "openai";
    case Dialect::azure:
      return "azure";
    case Dialect::anthropic:
      return "anthropic";
    case Dialect::gemini:
      return "gemini";
  }
  return "unknown";
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::safety_blocked:
      return "safety_blocked";
    case Outcome::rate_limited:
      return "rate_limited";
    case Outcome::overloaded:
      return "overloaded";
    case Outcome::retryable:
      return "retryable";
    case Outcome::quota_exhausted:
      return "quota_exhausted";
    case Outcome::permanent:
      return "permanent";
  }
  return "unknown";
}

}  // namespace emosweep::providers
