// The RocksDB response store: value format, durability, lookups, secondary instances,
// verification, stats, JSONL export/import and merging.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "cache/key.hpp"
#include "cache/store.hpp"
#include "core/error.hpp"
#include "tests/cache/temp_dir.hpp"

namespace emosweep::cache {
namespace {

using providers::Dialect;
using testing::TempDir;

Key key_of(int i) {
  RequestIdentity id;
  id.base_url = "http://127.0.0.1:8000/v1";
  id.request.model = "m";
  id.request.messages = {{"user", "item " + std::to_string(i)}};
  return cache_key(id);
}

CachedResponse response(int i, std::string model = "gpt-4o") {
  CachedResponse r;
  r.text = "['joy', 'fear'] #" + std::to_string(i);
  r.finish_reason = "stop";
  r.request_id = "req_" + std::to_string(i);
  r.run_id = "run-1";
  r.model = std::move(model);
  r.dialect = Dialect::openai;
  r.outcome = "ok";
  r.prompt_tokens = 300 + static_cast<std::uint64_t>(i);
  r.completion_tokens = 7;
  r.latency_ms = 123.456 + i;
  r.http_status = 200;
  r.attempts = 1 + static_cast<std::uint32_t>(i % 3);
  r.stored_at_ms = 1'700'000'000'000 + i;
  return r;
}

// Awkward values: unicode, NUL, invalid UTF-8, extremes.
std::vector<CachedResponse> awkward_responses() {
  std::vector<CachedResponse> out;
  CachedResponse a = response(1);
  a.text = "['désespéré', '😢', 'ängstlich'] — “quoted” \\ \"q\" \t\r\n";
  a.dialect = Dialect::anthropic;
  a.finish_reason = "end_turn";
  out.push_back(a);
  CachedResponse b = response(2);
  static constexpr char kBinary[] = "bin\0ary\xff\xfe\x80 tail";
  b.text = std::string(kBinary, sizeof kBinary - 1);
  b.request_id = std::string("\xc3\x28", 2);  // ill-formed UTF-8
  b.dialect = Dialect::gemini;
  b.outcome = "safety_blocked";
  b.finish_reason = "SAFETY";
  b.http_status = 200;
  out.push_back(b);
  CachedResponse c = response(3);
  c.text.clear();
  c.finish_reason.clear();
  c.request_id.clear();
  c.run_id.clear();
  c.model.clear();
  c.dialect = Dialect::azure;
  c.prompt_tokens = std::numeric_limits<std::uint64_t>::max();
  c.completion_tokens = 0;
  c.latency_ms = 0.1 + 0.2;
  c.http_status = 0;
  c.attempts = std::numeric_limits<std::uint32_t>::max();
  c.stored_at_ms = -1;
  out.push_back(c);
  CachedResponse d = response(4);
  d.text = std::string(100000, 'x');
  d.latency_ms = 1e-300;
  d.stored_at_ms = std::numeric_limits<std::int64_t>::max();
  out.push_back(d);
  return out;
}

std::unique_ptr<Store> open_store(const std::string& dir) {
  return Store::open(dir);
}

TEST(CacheValue, RoundTripsExactly) {
  for (const auto& original : awkward_responses()) {
    const std::string bytes = encode_value(original);
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]), kValueFormatVersion);
    CachedResponse back;
    std::string why;
    ASSERT_TRUE(decode_value(bytes, back, &why)) << why;
    EXPECT_EQ(back, original);
  }
}

TEST(CacheValue, DecodeReusesTheTarget) {
  CachedResponse target = response(1);
  target.text = std::string(1000, 'z');
  const auto small = response(2);
  ASSERT_TRUE(decode_value(encode_value(small), target));
  EXPECT_EQ(target, small);
}

TEST(CacheValue, RejectsEveryTruncationAndTrailingBytes) {
  const std::string bytes = encode_value(response(5));
  CachedResponse out;
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_value(std::string_view(bytes).substr(0, n), out)) << "prefix " << n;
  std::string why;
  EXPECT_FALSE(decode_value(bytes + "x", out, &why));
  EXPECT_EQ(why, "trailing bytes");
  std::string bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_value(bad_version, out, &why));
  EXPECT_EQ(why, "unknown value format version 9");
  std::string bad_dialect = bytes;
  bad_dialect[1] = 17;
  EXPECT_FALSE(decode_value(bad_dialect, out, &why));
  std::string bad_outcome = bytes;
  bad_outcome[2] = 5;
  EXPECT_FALSE(decode_value(bad_outcome, out, &why));
  EXPECT_EQ(why, "unknown outcome code 5");
}

TEST(CacheValue, ErrorOutcomesAreNeverEncoded) {
  for (const char* outcome : {"rate_limited", "overloaded", "retryable", "quota_exhausted",
                              "permanent", "", "OK", "failed"}) {
    auto r = response(1);
    r.outcome = outcome;
    EXPECT_THROW((void)encode_value(r), std::invalid_argument) << outcome;
  }
  EXPECT_TRUE(is_cacheable_outcome("ok"));
  EXPECT_TRUE(is_cacheable_outcome("safety_blocked"));
  EXPECT_FALSE(is_cacheable_outcome("permanent"));
}

TEST(CacheStore, PutThenGet) {
  TempDir tmp;
  auto store = open_store(tmp / "cache");
  EXPECT_FALSE(store->get(key_of(1)).has_value());
  EXPECT_FALSE(store->contains(key_of(1)));
  store->put(key_of(1), response(1), false);
  const auto got = store->get(key_of(1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, response(1));
  EXPECT_TRUE(store->contains(key_of(1)));
  EXPECT_FALSE(store->contains(key_of(2)));
  // Overwriting the same key replaces the answer.
  store->put(key_of(1), response(9), true);
  EXPECT_EQ(store->get(key_of(1))->request_id, "req_9");
  EXPECT_EQ(store->directory(), tmp / "cache");
  EXPECT_FALSE(store->read_only());
}

TEST(CacheStore, AwkwardValuesRoundTripThroughRocksDb) {
  TempDir tmp;
  const auto values = awkward_responses();
  {
    auto store = open_store(tmp / "cache");
    for (std::size_t i = 0; i < values.size(); ++i)
      store->put(key_of(static_cast<int>(i)), values[i], false);
  }
  auto store = open_store(tmp / "cache");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto got = store->get(key_of(static_cast<int>(i)));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(*got, values[i]) << i;
  }
}

TEST(CacheStore, ErrorOutcomesAreRejectedAndNotStored) {
  TempDir tmp;
  auto store = open_store(tmp / "cache");
  auto bad = response(1);
  bad.outcome = "permanent";
  EXPECT_THROW(store->put(key_of(1), bad, true), std::invalid_argument);
  EXPECT_FALSE(store->contains(key_of(1)));
  // A batch with one bad entry writes nothing at all.
  std::vector<std::pair<Key, CachedResponse>> batch = {{key_of(2), response(2)}, {key_of(3), bad}};
  EXPECT_THROW(store->write_batch(batch, true), std::invalid_argument);
  EXPECT_FALSE(store->contains(key_of(2)));
  EXPECT_EQ(store->stats().entries, 0u);
}

TEST(CacheStore, ReopenAfterCloseKeepsData) {
  TempDir tmp;
  {
    auto store = open_store(tmp / "cache");
    for (int i = 0; i < 500; ++i)
      store->put(key_of(i), response(i), false);
  }
  auto store = open_store(tmp / "cache");
  for (int i = 0; i < 500; ++i) {
    const auto got = store->get(key_of(i));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(*got, response(i));
  }
  EXPECT_EQ(store->stats().entries, 500u);
}

// DESIGN.md §5: a put that returned is durable against kill -9 even without fsync, because
// the WAL write reaches the kernel before put() returns.
TEST(CacheStore, EntryPutWithoutSyncSurvivesSigkill) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  constexpr int kEntries = 50;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      auto store = Store::open(dir);
      for (int i = 0; i < kEntries; ++i)
        store->put(key_of(i), response(i), false);
    } catch (...) {
      ::_exit(3);
    }
    ::kill(::getpid(), SIGKILL);  // no destructor, no Close(), no flush
    ::_exit(4);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  pid_t done = 0;
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "child did not finish in time";
  }
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit status " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto store = Store::open(dir);
  for (int i = 0; i < kEntries; ++i) {
    const auto got = store->get(key_of(i));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(*got, response(i));
  }
}

TEST(CacheStore, WriteBatchAndMultiGet) {
  TempDir tmp;
  auto store = open_store(tmp / "cache");
  std::vector<std::pair<Key, CachedResponse>> batch;
  for (int i = 0; i < 256; ++i)
    batch.emplace_back(key_of(i), response(i));
  store->write_batch(batch, true);

  // Hits and misses interleaved, more keys than one MultiGet chunk, order kept.
  std::vector<Key> keys;
  for (int i = 0; i < 1500; ++i)
    keys.push_back(key_of(i % 2 == 0 ? i / 2 : 10000 + i));
  std::vector<std::optional<CachedResponse>> out(3, response(77));  // stale, engaged slots
  store->multi_get(keys, out);
  ASSERT_EQ(out.size(), keys.size());
  for (int i = 0; i < 1500; ++i) {
    const bool hit = i % 2 == 0 && i / 2 < 256;
    ASSERT_EQ(out[i].has_value(), hit) << i;
    if (hit) {
      EXPECT_EQ(*out[i], response(i / 2)) << i;
    }
  }
  // The same key several times in one call (keys are sorted before the lookup): each answered.
  const std::vector<Key> repeated = {key_of(5), key_of(9999), key_of(5), key_of(3), key_of(5)};
  store->multi_get(repeated, out);
  ASSERT_EQ(out.size(), repeated.size());
  for (std::size_t i : {0u, 2u, 4u}) {
    ASSERT_TRUE(out[i].has_value()) << i;
    EXPECT_EQ(*out[i], response(5)) << i;
  }
  EXPECT_FALSE(out[1].has_value());
  ASSERT_TRUE(out[3].has_value());
  EXPECT_EQ(*out[3], response(3));
  std::vector<std::optional<CachedResponse>> empty_out(2);
  store->multi_get({}, empty_out);
  EXPECT_TRUE(empty_out.empty());
}

TEST(CacheStore, ConcurrentReadersAndWriters) {
  TempDir tmp;
  auto store = open_store(tmp / "cache");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = t * 1000; i < t * 1000 + 300; ++i) {
        store->put(key_of(i), response(i), false);
        const auto got = store->get(key_of(i));
        if (!got || *got != response(i)) throw std::runtime_error("lost write");
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(store->stats().entries, 1200u);
}

TEST(CacheStore, OpenErrorsNameTheDirectory) {
  TempDir tmp;
  const std::string missing = tmp / "nope";
  Store::Options read_only;
  read_only.read_only = true;
  try {
    (void)Store::open(missing, read_only);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cache directory " + missing + ": does not exist");
  }
  Store::Options no_create;
  no_create.create_if_missing = false;
  EXPECT_THROW((void)Store::open(missing, no_create), InputError);
  EXPECT_FALSE(std::filesystem::exists(missing));

  const std::string file = tmp / "file";
  std::ofstream(file) << "x";
  try {
    (void)Store::open(file);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cache directory " + file + ": not a directory");
  }

  const std::string unrelated = tmp / "unrelated";
  std::filesystem::create_directories(unrelated);
  std::ofstream(unrelated + "/notes.txt") << "mine";
  try {
    (void)Store::open(unrelated);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(unrelated + ": exists, is not empty"), std::string::npos)
        << e.what();
  }
  try {
    (void)Store::open(unrelated, read_only);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not an emosweep cache"), std::string::npos) << e.what();
  }
}

TEST(CacheStore, SecondWriterIsToldTheCacheIsLocked) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  auto first = Store::open(dir);
  try {
    (void)Store::open(dir);
    FAIL() << "second writer opened a locked cache";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dir), std::string::npos) << what;
    EXPECT_NE(what.find("locked"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(CacheStore, ReadOnlyInstanceReadsButNeverWrites) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  auto primary = Store::open(dir);
  primary->put(key_of(1), response(1), true);
  Store::Options o;
  o.read_only = true;
  auto reader = Store::open(dir, o);  // allowed while the primary holds the lock
  EXPECT_TRUE(reader->read_only());
  EXPECT_EQ(reader->get(key_of(1)), response(1));
  EXPECT_THROW(reader->put(key_of(2), response(2), false), std::logic_error);
}

TEST(CacheStore, SecondarySeesPrimaryWritesAfterCatchUp) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  auto primary = Store::open(dir);
  primary->put(key_of(1), response(1), true);
  Store::Options o;
  o.secondary_path = tmp / "secondary";
  auto secondary = Store::open(dir, o);
  EXPECT_TRUE(secondary->read_only());
  EXPECT_EQ(secondary->get(key_of(1)), response(1));

  for (int i = 2; i <= 100; ++i)
    primary->put(key_of(i), response(i), false);
  secondary->catch_up();
  for (int i = 1; i <= 100; ++i)
    EXPECT_EQ(secondary->get(key_of(i)), response(i)) << i;
  EXPECT_EQ(secondary->stats().entries, 100u);
  EXPECT_THROW(secondary->put(key_of(200), response(200), false), std::logic_error);
  primary->catch_up();  // a no-op for a primary
}

TEST(CacheStore, StatsCountEntriesModelsAndAge) {
  TempDir tmp;
  auto store = open_store(tmp / "cache");
  auto empty = store->stats();
  EXPECT_EQ(empty.entries, 0u);
  EXPECT_EQ(empty.oldest_ms, 0);
  EXPECT_EQ(empty.newest_ms, 0);
  for (int i = 0; i < 30; ++i)
    store->put(key_of(i), response(i, "gpt-4o"), false);
  for (int i = 30; i < 42; ++i)
    store->put(key_of(i), response(i, "llama-3.1-8b"), false);
  auto old = response(99, "claude");
  old.stored_at_ms = 1'600'000'000'000;
  store->put(key_of(99), old, true);
  const auto s = store->stats();
  EXPECT_EQ(s.entries, 43u);
  EXPECT_EQ(s.corrupt, 0u);
  EXPECT_EQ(s.by_model, (std::map<std::string, std::uint64_t>{
                            {"claude", 1}, {"gpt-4o", 30}, {"llama-3.1-8b", 12}}));
  EXPECT_EQ(s.oldest_ms, 1'600'000'000'000);
  EXPECT_EQ(s.newest_ms, 1'700'000'000'041);
  EXPECT_GT(s.bytes_on_disk, 0u);
}

// Writes a raw value under `key` with RocksDB itself, bypassing the Store's checks.
void write_raw(const std::string& dir, std::string_view key, std::string_view value) {
  rocksdb::Options options;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), rocksdb::Slice(key.data(), key.size()),
                      rocksdb::Slice(value.data(), value.size()))
                  .ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST(CacheStore, VerifyDetectsAHandCorruptedValue) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  {
    auto store = open_store(dir);
    for (int i = 0; i < 20; ++i)
      store->put(key_of(i), response(i), true);
    const auto clean = store->verify();
    EXPECT_TRUE(clean.ok());
    EXPECT_EQ(clean.entries, 20u);
    EXPECT_EQ(clean.corrupt, 0u);
    EXPECT_TRUE(clean.problems.empty());
  }
  const Key victim = key_of(7);
  std::string damaged = encode_value(response(7));
  damaged.resize(damaged.size() - 3);  // truncated value
  write_raw(dir, std::string_view(reinterpret_cast<const char*>(victim.data()), victim.size()),
            damaged);
  write_raw(dir, "short-key", encode_value(response(1)));

  auto store = open_store(dir);
  const auto report = store->verify();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.entries, 19u);
  EXPECT_EQ(report.corrupt, 2u);
  ASSERT_EQ(report.problems.size(), 2u);
  const std::string all = report.problems[0] + "\n" + report.problems[1];
  EXPECT_NE(all.find("key " + key_to_hex(victim) + ": bad value: "), std::string::npos) << all;
  EXPECT_NE(all.find("9 bytes, expected 32"), std::string::npos) << all;

  // Reads treat the damage as a miss (the answer is fetched again), and count it.
  EXPECT_FALSE(store->get(key_of(7)).has_value());
  EXPECT_EQ(store->corrupt_reads(), 1u);
  std::vector<std::optional<CachedResponse>> out;
  const std::vector<Key> keys = {key_of(6), key_of(7)};
  store->multi_get(keys, out);
  EXPECT_TRUE(out[0].has_value());
  EXPECT_FALSE(out[1].has_value());
  EXPECT_EQ(store->corrupt_reads(), 2u);
  const auto s = store->stats();
  EXPECT_EQ(s.entries, 19u);
  EXPECT_EQ(s.corrupt, 2u);
  // A fresh answer repairs the entry.
  store->put(key_of(7), response(7), true);
  EXPECT_EQ(store->get(key_of(7)), response(7));
}

std::string export_string(const Store& store) {
  std::ostringstream out;
  store.export_jsonl(out);
  return out.str();
}

TEST(CacheStore, ExportThenImportReproducesEveryEntry) {
  TempDir tmp;
  auto source = open_store(tmp / "a");
  const auto awkward = awkward_responses();
  for (std::size_t i = 0; i < awkward.size(); ++i)
    source->put(key_of(1000 + static_cast<int>(i)), awkward[i], false);
  for (int i = 0; i < 300; ++i)
    source->put(key_of(i), response(i), false);

  const std::string file = tmp / "export.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    EXPECT_EQ(source->export_jsonl(out), 304u);
  }
  const std::string exported = export_string(*source);
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 304);
  EXPECT_NE(exported.find("\"request_id_base64\":"), std::string::npos);  // ill-formed UTF-8
  EXPECT_NE(exported.find("\"text_base64\":"), std::string::npos);        // NUL and 0xff

  auto target = open_store(tmp / "b");
  EXPECT_EQ(target->import_jsonl(file), 304u);
  for (std::size_t i = 0; i < awkward.size(); ++i)
    EXPECT_EQ(target->get(key_of(1000 + static_cast<int>(i))), awkward[i]) << i;
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(target->get(key_of(i)), response(i)) << i;
  EXPECT_EQ(export_string(*target), exported);
  // Importing again adds nothing.
  EXPECT_EQ(target->import_jsonl(file), 0u);
}

TEST(CacheStore, ImportKeepsExistingEntriesUnlessOverwrite) {
  TempDir tmp;
  auto source = open_store(tmp / "a");
  source->put(key_of(1), response(1), false);
  source->put(key_of(2), response(2), false);
  const std::string file = tmp / "export.jsonl";
  {
    std::ofstream out(file);
    source->export_jsonl(out);
  }
  auto target = open_store(tmp / "b");
  target->put(key_of(1), response(50), false);
  EXPECT_EQ(target->import_jsonl(file), 1u);
  EXPECT_EQ(target->get(key_of(1)), response(50));
  EXPECT_EQ(target->get(key_of(2)), response(2));
  EXPECT_EQ(target->import_jsonl(file, true), 2u);
  EXPECT_EQ(target->get(key_of(1)), response(1));
}

TEST(CacheStore, ImportOfAMalformedLineNamesItAndWritesNothing) {
  TempDir tmp;
  auto source = open_store(tmp / "a");
  source->put(key_of(1), response(1), false);
  const std::string good = export_string(*source);  // one line
  const std::string first_line = good;

  struct Case {
    std::string bad_line;
    std::string expected;
  };
  auto replace = [&](std::string from, std::string to) {
    std::string line = first_line.substr(0, first_line.size() - 1);
    const auto at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return line.replace(at, from.size(), to);
  };
  const std::vector<Case> cases = {
      {"{not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {replace("\"outcome\":\"ok\"", "\"outcome\":\"permanent\""),
       "'outcome' must be ok or safety_blocked, not 'permanent'"},
      {replace("\"key\":\"", "\"key\":\"zz"), "'key' is not 64 hexadecimal digits"},
      {replace("\"dialect\":\"openai\"", "\"dialect\":\"cohere\""), "unknown 'dialect' 'cohere'"},
      {replace("\"prompt_tokens\":", "\"prompt_tokens\":-1,\"y\":"),
       "'prompt_tokens' must be a non-negative integer"},
      {replace("\"text\":", "\"txt\":"), "unknown key 'txt'"},
      {replace(",\"model\":\"gpt-4o\"", ""), "missing key 'model'"},
      {replace("\"run_id\":\"run-1\"", "\"run_id\":\"run-1\",\"run_id\":\"x\""),
       "duplicate key 'run_id'"},
      {replace("\"text\":", "\"text_base64\":"), "'text_base64' is not valid base64"},
      {replace("\"latency_ms\":", "\"latency_ms\":\"fast\",\"z\":"),
       "'latency_ms' must be a number"},
  };
  for (const auto& c : cases) {
    const std::string file = tmp / "bad.jsonl";
    {
      std::ofstream out(file);
      out << good << "\n" << c.bad_line << "\n" << first_line;  // blank line 2, bad line 3
    }
    auto target = open_store(tmp / "b");
    try {
      (void)target->import_jsonl(file);
      ADD_FAILURE() << "no error for " << c.bad_line;
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.starts_with(file + ": line 3: " + c.expected)) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_EQ(target->stats().entries, 0u) << "a partial import happened for " << c.bad_line;
  }
  auto target = open_store(tmp / "b");
  EXPECT_THROW((void)target->import_jsonl(tmp / "missing.jsonl"), InputError);
}

TEST(CacheStore, CopyFromAddsOnlyAbsentEntries) {
  TempDir tmp;
  auto shard_a = open_store(tmp / "a");
  auto shard_b = open_store(tmp / "b");
  for (int i = 0; i < 1500; ++i)
    shard_a->put(key_of(i), response(i), false);
  for (int i = 1000; i < 3000; ++i)
    shard_b->put(key_of(i), response(i + 1), false);
  EXPECT_EQ(shard_a->copy_from(*shard_b), 1500u);
  EXPECT_EQ(shard_a->stats().entries, 3000u);
  EXPECT_EQ(shard_a->get(key_of(1200)), response(1200));  // kept, not overwritten
  EXPECT_EQ(shard_a->get(key_of(2500)), response(2501));  // added
  EXPECT_EQ(shard_a->copy_from(*shard_b), 0u);
  EXPECT_EQ(shard_a->copy_from(*shard_a), 0u);
}

TEST(CacheStore, ApiKeyBytesAreInNoStoredValueOrFile) {
  const std::string api_key = "sk-proj-SECRETKEY-0123456789abcdef";
  TempDir tmp;
  const std::string dir = tmp / "cache";
  RequestIdentity id;
  id.base_url = "https://api.openai.com/v1";
  id.request.model = "gpt-4o";
  id.request.messages = {{"user", "Predict the <mask>."}};
  // What a request would send: the key goes into a header, never into the identity.
  providers::HttpRequest http;
  http.headers = {{"authorization", "Bearer " + api_key}};
  const std::string encoding = canonical_encoding(id);
  EXPECT_EQ(encoding.find(api_key), std::string::npos);
  EXPECT_EQ(encoding.find("SECRETKEY"), std::string::npos);
  {
    auto store = open_store(dir);
    auto r = response(1);
    store->put(cache_key(id), r, true);
    const std::string exported = export_string(*store);
    EXPECT_EQ(exported.find("SECRETKEY"), std::string::npos);
  }
  // Scan every file RocksDB wrote (WAL, tables, manifest, logs) for the key's bytes.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find("SECRETKEY"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace emosweep::cache
