// `emosweep cache stats|verify|export|import --cache DIR`: inspect, check and share a
// response cache. Reading subcommands open the cache read-only, so they also work while a
// run is writing to it.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cache/store.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace emosweep::cli {
namespace {

struct CacheOptions {
  std::string dir;
  std::string format = "table";
  std::string out;
  std::string input;
  bool overwrite = false;
};

std::unique_ptr<cache::Store> open_for_reading(const std::string& dir) {
  cache::Store::Options o;
  o.read_only = true;
  o.create_if_missing = false;
  return cache::Store::open(dir, o);
}

std::string utc_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds), unix_ms % 1000);
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(units)) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[unit]);
}

int run_stats(const CacheOptions& opts) {
  const auto store = open_for_reading(opts.dir);
  const auto s = store->stats();
  if (opts.format == "json") {
    json::Writer w;
    w.begin_object();
    w.field("cache", opts.dir);
    w.field("entries", s.entries);
    w.field("corrupt", s.corrupt);
    w.field("bytes_on_disk", s.bytes_on_disk);
    w.key("oldest_ms");
    s.entries ? w.value(s.oldest_ms) : w.null();
    w.key("newest_ms");
    s.entries ? w.value(s.newest_ms) : w.null();
    w.key("by_model").begin_object();
    for (const auto& [model, count] : s.by_model)
      w.field(model, count);
    w.end_object();
    w.end_object();
    fmt::print("{}\n", w.str());
    return 0;
  }
  fmt::print("cache          {}\n", opts.dir);
  fmt::print("entries        {}\n", s.entries);
  if (s.corrupt) fmt::print("corrupt        {} (run `emosweep cache verify`)\n", s.corrupt);
  fmt::print("bytes on disk  {} ({})\n", human_bytes(s.bytes_on_disk), s.bytes_on_disk);
  if (s.entries) {
    fmt::print("oldest         {}\n", utc_time(s.oldest_ms));
    fmt::print("newest         {}\n", utc_time(s.newest_ms));
    std::size_t width = 5;
    for (const auto& [model, count] : s.by_model)
      width = std::max(width, model.size());
    fmt::print("\n{:<{}}  {:>10}\n", "model", width, "entries");
    for (const auto& [model, count] : s.by_model)
      fmt::print("{:<{}}  {:>10}\n", model, width, count);
  }
  return 0;
}

int run_verify(const CacheOptions& opts) {
  const auto store = open_for_reading(opts.dir);
  const auto report = store->verify();
  for (const auto& problem : report.problems)
    fmt::print("{}\n", problem);
  if (report.corrupt > report.problems.size())
    fmt::print("... and more (only the first {} problems are listed)\n",
               cache::Store::kMaxProblems);
  fmt::print("cache {}: {} entries, {} corrupt: {}\n", opts.dir, report.entries, report.corrupt,
             report.ok() ? "OK" : "DAMAGED");
  return report.ok() ? 0 : 1;
}

int run_export(const CacheOptions& opts) {
  const auto store = open_for_reading(opts.dir);
  if (opts.out.empty() || opts.out == "-") {
    std::ios::sync_with_stdio(false);
    store->export_jsonl(std::cout);
    return 0;
  }
  // Write next to the target and rename, so a failed export never leaves half a file.
  const std::string tmp = fmt::format("{}.tmp.{}", opts.out, ::getpid());
  std::uint64_t entries = 0;
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) throw InputError(fmt::format("{}: cannot write", opts.out));
    try {
      entries = store->export_jsonl(file);
    } catch (...) {
      std::filesystem::remove(tmp);
      throw;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, opts.out, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw InputError(fmt::format("{}: cannot write: {}", opts.out, ec.message()));
  }
  fmt::print(stderr, "exported {} entries to {}\n", entries, opts.out);
  return 0;
}

int run_import(const CacheOptions& opts) {
  const auto store = cache::Store::open(opts.dir);
  const auto written = store->import_jsonl(opts.input, opts.overwrite);
  fmt::print("imported {} entries into {}\n", written, opts.dir);
  return 0;
}

CLI::App* add_sub(CLI::App* cache, const char* name, const char* help, CacheOptions& opts) {
  auto* sub = cache->add_subcommand(name, help);
  sub->add_option("--cache", opts.dir, "Cache directory (RocksDB)")->required();
  return sub;
}

}  // namespace

void add_cache_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<CacheOptions>();
  auto* cache = app.add_subcommand("cache", "Inspect, verify, export or import a response cache");
  cache->require_subcommand(1);

  auto* stats = add_sub(cache, "stats", "Entries, size on disk, per-model counts, age", *opts);
  stats->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  stats->callback([opts, &action] { action = [opts] { return run_stats(*opts); }; });

  auto* verify =
      add_sub(cache, "verify",
              "Check every file checksum and decode every entry (exit 1 if damaged)", *opts);
  verify->callback([opts, &action] { action = [opts] { return run_verify(*opts); }; });

  auto* exp = add_sub(cache, "export", "Write every entry as JSONL (to stdout by default)", *opts);
  exp->add_option("--out", opts->out, "Output file ('-' for stdout)");
  exp->callback([opts, &action] { action = [opts] { return run_export(*opts); }; });

  auto* imp = add_sub(cache, "import", "Add the entries of a JSONL export to a cache", *opts);
  imp->add_option("FILE", opts->input, "JSONL file written by `emosweep cache export`")->required();
  imp->add_flag("--overwrite", opts->overwrite, "Replace entries that are already present");
  imp->callback([opts, &action] { action = [opts] { return run_import(*opts); }; });
}

}  // namespace emosweep::cli
