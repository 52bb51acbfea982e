#include "metrics/eta.hpp"

namespace emosweep::metrics {

EtaEstimator::EtaEstimator(Clock::duration window) : window_(window) {}

void EtaEstimator::observe(Clock::time_point now, std::uint64_t done, std::uint64_t total) {
  total_ = total;
  // Keep one sample per slot of window/max_samples so memory stays bounded whatever the
  // caller's frequency; the newest sample always replaces the last one inside its slot.
  const auto slot = window_ / max_samples;
  if (samples_.size() >= 2 && now - samples_[samples_.size() - 2].at < slot) {
    samples_.back() = {now, done};
  } else {
    samples_.push_back({now, done});
  }
  // Drop samples older than the window, but keep one at or before its start as the baseline.
  while (samples_.size() > 2 && now - samples_[1].at >= window_)
    samples_.pop_front();
}

std::optional<double> EtaEstimator::eta_seconds() const {
  if (samples_.empty()) return std::nullopt;
  const Sample& last = samples_.back();
  if (last.done >= total_) return 0.0;
  const Sample& first = samples_.front();
  const double seconds = std::chrono::duration<double>(last.at - first.at).count();
  if (last.done <= first.done || seconds <= 0) return std::nullopt;
  const double rate = static_cast<double>(last.done - first.done) / seconds;
  return static_cast<double>(total_ - last.done) / rate;
}

}  // namespace emosweep::metrics
