// Rate and concurrency policy for one endpoint, as pure code with the time passed in: the
// scheduler asks when it may send, and tells what happened. No sockets, no sleeps, so unit
// tests drive it with simulated time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "providers/types.hpp"

namespace emosweep::orchestrator {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// Even pacing of a per-minute budget (GCRA, "virtual scheduling"): each reservation of `cost`
// units moves a theoretical arrival time forward by cost × 60 s / rate, so requests leave at
// evenly spaced instants and never in the bursts that trip providers' short-window limits.
class RatePacer {
 public:
  // `per_minute` 0 means unlimited.
  explicit RatePacer(double per_minute = 0) : per_minute_(per_minute) {}

  void set_rate(double per_minute) { per_minute_ = per_minute; }
  double rate() const { return per_minute_; }
  bool limited() const { return per_minute_ > 0; }

  // Reserves `cost` units and returns the instant at which the caller may send (>= now).
  TimePoint reserve(double cost, TimePoint now);
  // Corrects an earlier reservation by `delta` units (negative: refund).
  void adjust(double delta);
  // Nothing may be sent before `t` (a provider said the window is exhausted).
  void pause_until(TimePoint t);

 private:
  Duration interval(double cost) const;
  double per_minute_;
  TimePoint tat_{};  // theoretical arrival time of the next unit
  TimePoint paused_until_{};
};

// Additive-increase, multiplicative-decrease control of in-flight requests: halve on a 429 or
// an overload (at most once per `cooldown`, since one overload shows up in many responses at
// once), and grow by one after `limit` successes in a row of the current window.
class AdaptiveConcurrency {
 public:
  explicit AdaptiveConcurrency(std::uint32_t max, Duration cooldown = std::chrono::seconds(1))
      : max_(max == 0 ? 1 : max), limit_(max_), cooldown_(cooldown) {}

  std::uint32_t limit() const { return limit_; }
  std::uint32_t max() const { return max_; }
  void on_success();
  void on_overload(TimePoint now);

 private:
  std::uint32_t max_;
  std::uint32_t limit_;
  Duration cooldown_;
  std::uint32_t successes_ = 0;
  std::optional<TimePoint> last_decrease_;
};

// RPM and TPM pacing plus what the provider's headers teach us.
class EndpointLimiter {
 public:
  EndpointLimiter(double rpm, double tpm)
      : configured_rpm_(rpm), configured_tpm_(tpm), requests_(rpm), tokens_(tpm) {}

  // When may a request charging `estimated_tokens` (prompt estimate + max tokens) go?
  TimePoint reserve(std::uint64_t estimated_tokens, TimePoint now);
  // After the response: the prompt part of the estimate is corrected with the real count. The
  // completion part stays charged as max_tokens, as OpenAI and the mock count it.
  void reconcile(std::int64_t prompt_token_error);
  // Headers: adopt the provider's limits when we had none or ours were higher; pause when a
  // window is exhausted; honour Retry-After.
  void learn(const providers::RateLimitInfo& info, TimePoint now);

  double rpm() const { return requests_.rate(); }
  double tpm() const { return tokens_.rate(); }

 private:
  double configured_rpm_, configured_tpm_;
  RatePacer requests_;
  RatePacer tokens_;
};

}  // namespace emosweep::orchestrator
