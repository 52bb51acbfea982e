#include "metrics/detail/process_collector.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "metrics/metrics.hpp"

namespace emosweep::metrics::detail {
namespace {

std::optional<std::string> slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<double> to_number(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
      ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// One unlabelled sample; name, help and type come from exported_families().
prometheus::MetricFamily single(std::string_view name, double value) {
  prometheus::MetricFamily family;
  family.name = std::string(name);
  family.type = prometheus::MetricType::Gauge;
  for (const auto& info : exported_families()) {
    if (info.name != name) continue;
    family.help = std::string(info.help);
    if (info.type == "counter") family.type = prometheus::MetricType::Counter;
  }
  prometheus::ClientMetric metric;
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::optional<StatFields> parse_proc_stat(const std::string& stat, double ticks_per_second) {
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
  const auto rest = words(std::string_view(stat).substr(close + 1));
  // rest[0] is field 3 (state); field N is rest[N - 3].
  if (rest.size() < 21) return std::nullopt;
  const auto utime = to_number(rest[11]);
  const auto stime = to_number(rest[12]);
  const auto start = to_number(rest[19]);
  const auto vsize = to_number(rest[20]);
  if (!utime || !stime || !start || !vsize) return std::nullopt;
  return StatFields{(*utime + *stime) / ticks_per_second, *start, *vsize};
}

std::optional<double> parse_status_kb(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    const auto w = words(std::string_view(line).substr(key.size() + 1));
    if (w.size() != 2 || w[1] != "kB") return std::nullopt;
    const auto kb = to_number(w[0]);
    if (!kb) return std::nullopt;
    return *kb * 1024.0;
  }
  return std::nullopt;
}

std::optional<double> parse_max_open_files(const std::string& limits) {
  std::istringstream in(limits);
  std::string line;
  while (std::getline(in, line)) {
    static constexpr std::string_view name = "Max open files";
    if (!line.starts_with(name)) continue;
    const auto w = words(std::string_view(line).substr(name.size()));
    if (w.empty()) return std::nullopt;
    return to_number(w[0]);  // "unlimited" does not parse: nullopt
  }
  return std::nullopt;
}

std::optional<double> parse_boot_time(const std::string& proc_stat) {
  std::istringstream in(proc_stat);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("btime ")) continue;
    return to_number(std::string_view(line).substr(6));
  }
  return std::nullopt;
}

ProcessSample read_process_sample() {
  ProcessSample sample;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (const auto stat = slurp("/proc/self/stat")) {
    if (const auto fields = parse_proc_stat(*stat, ticks)) {
      sample.cpu_seconds = fields->cpu_seconds;
      sample.virtual_bytes = fields->virtual_bytes;
      if (const auto system_stat = slurp("/proc/stat")) {
        if (const auto boot = parse_boot_time(*system_stat)) {
          sample.start_time_seconds = *boot + fields->start_ticks / ticks;
        }
      }
    }
  }
  if (const auto status = slurp("/proc/self/status")) {
    sample.resident_bytes = parse_status_kb(*status, "VmRSS");
  }
  if (const auto limits = slurp("/proc/self/limits")) {
    sample.max_fds = parse_max_open_files(*limits);
  }
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (!ec) {
    double count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      ++count;
    }
    if (!ec) sample.open_fds = count;
  }
  return sample;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const ProcessSample s = read_process_sample();
  std::vector<prometheus::MetricFamily> out;
  const auto add = [&out](std::string_view name, const std::optional<double>& value) {
    if (value) out.push_back(single(name, *value));
  };
  add("process_cpu_seconds_total", s.cpu_seconds);
  add("process_resident_memory_bytes", s.resident_bytes);
  add("process_virtual_memory_bytes", s.virtual_bytes);
  add("process_open_fds", s.open_fds);
  add("process_max_fds", s.max_fds);
  add("process_start_time_seconds", s.start_time_seconds);
  return out;
}

}  // namespace emosweep::metrics::detail
