// The response cache: a RocksDB database mapping cache keys (cache/key.hpp) to stored
// answers. Durable (write-ahead log always on), compressed, tuned for point lookups.
//
// Ownership: the caller owns the one Store of a process (Store::open returns a unique_ptr);
// there is no global instance. RocksDB allows one writer process per directory; readers in
// other processes use Options::read_only or a secondary instance.
//
// Thread-safety: every const member and put()/write_batch() may be called concurrently from
// any threads (RocksDB's DB is thread-safe). They block on disk I/O, so call them from a
// worker or disk thread, never from a network executor. Scans (stats, verify, export,
// copy_from) read one consistent snapshot.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/key.hpp"
#include "providers/types.hpp"

namespace emosweep::cache {

// One stored answer. Only outcomes "ok" and "safety_blocked" are ever stored: errors are
// retried or recorded, never cached. It holds no credentials and no headers.
struct CachedResponse {
  std::string text;
  std::string finish_reason;
  std::string request_id;  // the provider's request id
  std::string run_id;      // the run that wrote the entry
  std::string model;       // the provider's model id (for stats)
  providers::Dialect dialect = providers::Dialect::openai;
  std::string outcome = "ok";  // "ok" or "safety_blocked"
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  double latency_ms = 0;
  unsigned http_status = 200;
  std::uint32_t attempts = 0;     // HTTP attempts the answer took when it was fetched
  std::int64_t stored_at_ms = 0;  // unix time in milliseconds
  bool operator==(const CachedResponse&) const = default;
};

// True for the outcomes that may be stored.
bool is_cacheable_outcome(std::string_view outcome);

// The stored value format: a version byte, then fixed fields and length-prefixed strings.
// encode_value throws std::invalid_argument for an outcome that may not be stored.
// decode_value reuses the strings of `out` (cheap in a loop) and returns false, with a reason
// in `*error` when given, for anything malformed: wrong version, truncation, trailing bytes,
// unknown dialect or outcome.
inline constexpr unsigned char kValueFormatVersion = 1;
std::string encode_value(const CachedResponse& value);
void encode_value(const CachedResponse& value, std::string& out);
bool decode_value(std::string_view bytes, CachedResponse& out, std::string* error = nullptr);

class Store {
 public:
  struct Options {
    bool read_only = false;         // no writes; works while another process writes (a snapshot)
    std::string secondary_path;     // non-empty: a secondary instance following a live primary;
                                    // it keeps its own info log in this directory
    bool create_if_missing = true;  // only for a writable primary
  };

  // Opens (or creates) the cache in `dir`. Throws InputError naming the directory when it
  // cannot: missing (and not to be created), not a directory, not a cache, or locked by
  // another process or another Store of this process.
  static std::unique_ptr<Store> open(const std::string& dir, Options options);
  static std::unique_ptr<Store> open(const std::string& dir) { return open(dir, Options{}); }

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& directory() const;
  bool read_only() const;  // true for read-only and secondary instances

  // Point lookup; nullopt when absent. A stored value that does not decode is treated as
  // absent (the request is sent again and its answer overwrites the damage) and counted in
  // corrupt_reads(). RocksDB failures (I/O error, block checksum mismatch) throw
  // std::runtime_error.
  std::optional<CachedResponse> get(const Key& key) const;
  // Batched lookups (RocksDB MultiGet): out[i] answers keys[i], as get() would. `out` is
  // resized to keys.size(); engaged elements are reused, so a long replay allocates little.
  void multi_get(std::span<const Key> keys, std::vector<std::optional<CachedResponse>>& out) const;
  bool contains(const Key& key) const;
  // Values that failed to decode in get()/multi_get() since open (for a warning or metric).
  std::uint64_t corrupt_reads() const;

  // Stores one answer. Throws std::invalid_argument for an outcome other than ok or
  // safety_blocked, std::logic_error on a read-only instance, std::runtime_error when RocksDB
  // fails (disk full...). The write-ahead log is always on: with sync=false the entry
  // survives a crash of the process (kill -9), with sync=true also a crash of the machine.
  void put(const Key& key, const CachedResponse& value, bool sync);
  // Stores many answers in one atomic group commit (one fsync when sync=true). Validates all
  // values before writing any.
  void write_batch(std::span<const std::pair<Key, CachedResponse>> entries, bool sync);
  // fsyncs the write-ahead log: everything written before survives a power loss, not only a
  // crash or kill -9 of the process (which a write without sync already survives).
  void sync_wal();

  // Secondary instance: replays what the primary wrote since the last call. Read-only
  // instances see a fixed snapshot and primaries see everything: for them this is a no-op.
  void catch_up();

  struct Stats {
    std::uint64_t entries = 0;        // counted exactly by iteration
    std::uint64_t corrupt = 0;        // values that do not decode (not counted in entries)
    std::uint64_t bytes_on_disk = 0;  // every file in the directory
    std::map<std::string, std::uint64_t> by_model;
    std::int64_t oldest_ms = 0, newest_ms = 0;  // stored_at range; 0 when empty
  };
  Stats stats() const;

  struct VerifyReport {
    std::uint64_t entries = 0;
    std::uint64_t corrupt = 0;
    std::vector<std::string> problems;  // one line each; at most kMaxProblems
    bool ok() const { return corrupt == 0 && problems.empty(); }
  };
  static constexpr std::size_t kMaxProblems = 100;
  // RocksDB's VerifyChecksum over every file, then a decode of every value.
  VerifyReport verify() const;

  // Writes one JSON object per entry: "key" (hex) and every field of CachedResponse
  // (dialect and outcome as strings). A string field that is not valid UTF-8 is written as
  // "<field>_base64" instead, so export → import is exact. Returns the entries written.
  std::uint64_t export_jsonl(std::ostream& out) const;
  // Reads a file written by export_jsonl. Every line is validated before anything is
  // written; a bad line throws InputError naming the file and line. Entries already present
  // are kept unless `overwrite`. Returns the entries written.
  std::uint64_t import_jsonl(const std::string& path, bool overwrite = false);
  // Adds every entry of `other` that is absent here (merging cache shards). Returns the
  // entries added. Throws InputError naming the key when `other` holds a corrupt value.
  std::uint64_t copy_from(const Store& other);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace emosweep::cache
