// Parsing and validation of the mock provider's options. Every error names the option.
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::providers {
namespace {

constexpr std::array<std::string_view, kFaultKindCount> kFaultNames = {
    "500", "502", "503", "504", "529", "429", "drop", "malformed", "slow", "quota", "safety"};

bool parse_double(std::string_view s, double& out) {
  s = text::python_strip(s);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  return kFaultNames[static_cast<std::size_t>(kind)];
}

double FaultRates::total() const {
  double sum = 0;
  for (double r : rate)
    sum += r;
  return sum;
}

void parse_listen(std::string_view spec, MockOptions& options) {
  const auto bad = [&](std::string_view why) {
    return InputError(fmt::format("--listen: {} (expected HOST:PORT, got '{}')", why, spec));
  };
  std::string_view host;
  std::string_view port;
  if (!spec.empty() && spec.front() == '[') {
    const auto close = spec.find(']');
    if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
      throw bad("unterminated IPv6 address");
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else {
    const auto colon = spec.rfind(':');
    if (colon == std::string_view::npos) throw bad("missing port");
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  if (host.empty()) throw bad("missing host");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    throw bad("port must be an integer from 0 to 65535");
  options.host = std::string(host);
  options.port = static_cast<std::uint16_t>(value);
}

LatencyModel parse_latency(std::string_view spec) {
  const auto bad = [&] {
    return InputError(fmt::format(
        "--latency: expected none, fixed:MS, uniform:LO:HI or lognormal:MEDIAN_MS:SIGMA, got '{}'",
        spec));
  };
  const auto parts = text::split(spec, ':');
  LatencyModel m;
  if (parts.size() == 1 && parts[0] == "none") return m;
  if (parts.size() == 2 && parts[0] == "fixed") {
    m.kind = LatencyModel::Kind::fixed;
    if (!parse_double(parts[1], m.first_ms)) throw bad();
  } else if (parts.size() == 3 && (parts[0] == "uniform" || parts[0] == "lognormal")) {
    m.kind = parts[0] == "uniform" ? LatencyModel::Kind::uniform : LatencyModel::Kind::lognormal;
    if (!parse_double(parts[1], m.first_ms) || !parse_double(parts[2], m.second)) throw bad();
  } else {
    throw bad();
  }
  return m;
}

FaultRates parse_faults(std::string_view spec) {
  FaultRates rates;
  if (text::python_strip(spec).empty()) return rates;
  for (std::string_view item : text::split(spec, ',')) {
    item = text::python_strip(item);
    const auto eq = item.find('=');
    const std::string_view name = text::python_strip(item.substr(0, eq));
    std::size_t kind = kFaultKindCount;
    for (std::size_t k = 0; k < kFaultKindCount; ++k)
      if (kFaultNames[k] == name) kind = k;
    if (eq == std::string_view::npos || kind == kFaultKindCount)
      throw InputError(fmt::format(
          "--fault: '{}' is not KIND=RATE with KIND one of 500, 502, 503, 504, 529, 429, drop, "
          "malformed, slow, quota, safety",
          item));
    double rate = 0;
    if (!parse_double(item.substr(eq + 1), rate) || rate < 0 || rate > 1)
      throw InputError(fmt::format("--fault: rate of '{}' must be a number from 0 to 1", name));
    rates.rate[kind] = rate;
  }
  return rates;
}

MockDialects parse_mock_dialects(std::string_view spec) {
  if (spec == "all") return MockDialects::all;
  if (spec == "openai") return MockDialects::openai;
  if (spec == "anthropic") return MockDialects::anthropic;
  if (spec == "gemini") return MockDialects::gemini;
  throw InputError(
      fmt::format("--dialect: expected openai, anthropic, gemini or all, got '{}'", spec));
}

void validate(const MockOptions& o) {
  if (o.host.empty()) throw InputError("--listen: missing host");
  if (o.threads > 256) throw InputError(fmt::format("--threads: {} is above 256", o.threads));
  const auto& l = o.latency;
  switch (l.kind) {
    case LatencyModel::Kind::none:
      break;
    case LatencyModel::Kind::fixed:
      if (l.first_ms < 0 || l.first_ms > 600000)
        throw InputError("--latency: fixed:MS needs 0 <= MS <= 600000");
      break;
    case LatencyModel::Kind::uniform:
      if (l.first_ms < 0 || l.second < l.first_ms || l.second > 600000)
        throw InputError("--latency: uniform:LO:HI needs 0 <= LO <= HI <= 600000");
      break;
    case LatencyModel::Kind::lognormal:
      if (l.first_ms <= 0 || l.first_ms > 600000 || l.second < 0 || l.second > 10)
        throw InputError(
            "--latency: lognormal:MEDIAN_MS:SIGMA needs 0 < MEDIAN_MS <= 600000 and "
            "0 <= SIGMA <= 10");
      break;
  }
  for (std::size_t k = 0; k < kFaultKindCount; ++k)
    if (!(o.faults.rate[k] >= 0 && o.faults.rate[k] <= 1))
      throw InputError(
          fmt::format("--fault: rate of '{}' must be a number from 0 to 1", kFaultNames[k]));
  if (o.faults.total() > 1 + 1e-9)
    throw InputError(fmt::format("--fault: rates add up to {} (more than 1)", o.faults.total()));
  if (o.slow_body.count() < 0 || o.slow_body.count() > 600000)
    throw InputError("--slow-ms: must be from 0 to 600000");
  if (o.default_max_tokens == 0) throw InputError("--default-max-tokens: must be at least 1");
  if (o.rate_window.count() < 1 || o.rate_window.count() > 60000)
    throw InputError("--rate-window-ms: must be from 1 to 60000");
  if (o.idle_timeout.count() <= 0) throw InputError("--idle-timeout-ms: must be positive");
  if (o.max_body_bytes == 0) throw InputError("--max-body-bytes: must be positive");
}

}  // namespace emosweep::providers
