#include "orchestrator/status.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <simdjson.h>

#include "cache/store.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/lines.hpp"

namespace emosweep::orchestrator {

int show_status(const std::string& run_dir, bool as_json) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(run_dir) / "run.json").string();
  if (!fs::exists(path))
    throw InputError(fmt::format("{}: no run.json: not a run directory", run_dir));
  const std::string text = read_file(path);
  simdjson::dom::parser parser;
  simdjson::dom::object run;
  if (parser.parse(text).get(run) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: not valid JSON", path));
  auto str = [&](const char* k) {
    std::string_view v;
    return run[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  auto num = [&](const char* k) {
    std::int64_t v = 0;
    if (run[k].get(v) != simdjson::SUCCESS) {
      double d = 0;
      if (run[k].get(d) == simdjson::SUCCESS) v = static_cast<std::int64_t>(d);
    }
    return v;
  };
  std::string status = str("status");
  const auto pid = num("pid");
  // A "running" run whose process is gone was killed: say so (a rerun resumes it).
  if (status == "running" &&
      (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)))
    status = "stopped (process gone; rerun to resume)";
  std::uint64_t cache_entries = 0;
  std::string cache_note;
  const std::string cache_dir = str("cache");
  if (!cache_dir.empty() && fs::exists(cache_dir)) {
    try {
      cache::Store::Options o;
      o.secondary_path =
          (fs::temp_directory_path() / fmt::format("emosweep-status-{}", ::getpid())).string();
      auto store = cache::Store::open(cache_dir, o);
      cache_entries = store->stats().entries;
      fs::remove_all(o.secondary_path);
    } catch (const std::exception& e) {
      cache_note = e.what();
    }
  }
  const auto planned = num("planned"), done = num("done");
  const double spent = [&] {
    double d = 0;
    if (run["spent_usd"].get(d) != simdjson::SUCCESS) d = 0;
    return d;
  }();
  const auto age_s = (std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() -
                      num("updated_at_ms")) /
                     1000;
  if (as_json) {
    json::Writer w;
    w.begin_object();
    w.field("name", str("name"));
    w.field("run_id", str("run_id"));
    w.field("status", status);
    w.field("planned", planned);
    w.field("done", done);
    w.field("failed", num("failed"));
    w.field("requests_sent", num("requests_sent"));
    w.field("cache_replays", num("cache_replays"));
    w.field("rate_limited", num("rate_limited"));
    w.field("retries", num("retries"));
    w.field("spent_usd", spent);
    w.field("cache_entries", cache_entries);
    w.field("updated_seconds_ago", age_s);
    w.end_object();
    fmt::print("{}\n", w.str());
    return 0;
  }
  fmt::print("run        {} ({})\n", str("name"), str("run_id"));
  fmt::print("status     {} (updated {} s ago)\n", status, age_s);
  fmt::print("progress   {}/{} ({:.1f}%), {} failed\n", done, planned,
             planned > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(planned) : 0.0,
             num("failed"));
  fmt::print("requests   {} sent, {} replayed from the cache, {} rate-limited, {} retries\n",
             num("requests_sent"), num("cache_replays"), num("rate_limited"), num("retries"));
  fmt::print("spend      ${:.4f}\n", spent);
  if (!cache_dir.empty())
    fmt::print("cache      {}: {}\n", cache_dir,
               cache_note.empty() ? fmt::format("{} entries", cache_entries) : cache_note);
  return 0;
}

}  // namespace emosweep::orchestrator
