// process_* metrics in Prometheus' conventional names, read from /proc at scrape time.
// Internal to metrics/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace emosweep::metrics::detail {

// What one read of /proc/self yields; a field is absent when its file could not be read.
struct ProcessSample {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> start_time_seconds;  // Unix time
};

// Parsers for the /proc formats, pure so they can be tested on fixed text.
// /proc/self/stat: utime+stime (fields 14, 15) in seconds and starttime (field 22) in ticks.
struct StatFields {
  double cpu_seconds;
  double start_ticks;
  double virtual_bytes;
};
std::optional<StatFields> parse_proc_stat(const std::string& stat, double ticks_per_second);
// A "Key:   N kB" line of /proc/self/status, in bytes.
std::optional<double> parse_status_kb(const std::string& status, const std::string& key);
// The soft "Max open files" limit from /proc/self/limits; nullopt when unlimited or absent.
std::optional<double> parse_max_open_files(const std::string& limits);
// "btime N" from /proc/stat: boot time in Unix seconds.
std::optional<double> parse_boot_time(const std::string& proc_stat);

ProcessSample read_process_sample();

// Thread-safe: Collect() only reads /proc.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace emosweep::metrics::detail
