// `emosweep cache stats|verify|export|import` through the built binary: output, exit codes
// and one-line errors.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <simdjson.h>

#include "cache/key.hpp"
#include "cache/store.hpp"
#include "tests/cache/temp_dir.hpp"
#include "tests/support/process.hpp"

namespace emosweep::cache {
namespace {

using emosweep::testing::CommandResult;
using emosweep::testing::shell_quote;
using testing::TempDir;

// Every command is bounded in time, whatever happens to the binary.
CommandResult emosweep(const std::string& args) {
  return emosweep::testing::run_command("timeout 60 " + shell_quote(EMOSWEEP_BIN) + " " + args);
}

Key key_of(int i) {
  RequestIdentity id;
  id.base_url = "http://127.0.0.1:9/v1";
  id.request.model = "m";
  id.request.messages = {{"user", std::to_string(i)}};
  return cache_key(id);
}

CachedResponse response(int i, const std::string& model) {
  CachedResponse r;
  r.text = "['calm'] " + std::to_string(i);
  r.finish_reason = "stop";
  r.model = model;
  r.run_id = "cli";
  r.prompt_tokens = 10;
  r.completion_tokens = 3;
  r.latency_ms = 5.5;
  r.stored_at_ms = 1'700'000'000'000 + i;
  return r;
}

void fill(const std::string& dir) {
  auto store = Store::open(dir);
  for (int i = 0; i < 40; ++i)
    store->put(key_of(i), response(i, "gpt-4o"), false);
  for (int i = 40; i < 50; ++i)
    store->put(key_of(i), response(i, "gemma-2-9b"), false);
  store->put(key_of(50), response(50, "gemma-2-9b"), true);
}

std::uint64_t json_uint(simdjson::dom::element e, const char* key) {
  return e[key].get_uint64().value();
}

TEST(CacheCli, StatsJsonAndTable) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  fill(dir);
  const auto json = emosweep("cache stats --cache " + shell_quote(dir) + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  const simdjson::dom::element root = parser.parse(json.out).value();
  EXPECT_EQ(json_uint(root, "entries"), 51u);
  EXPECT_EQ(json_uint(root, "corrupt"), 0u);
  EXPECT_GT(json_uint(root, "bytes_on_disk"), 0u);
  EXPECT_EQ(root["oldest_ms"].get_int64().value(), 1'700'000'000'000);
  EXPECT_EQ(root["newest_ms"].get_int64().value(), 1'700'000'000'050);
  EXPECT_EQ(json_uint(root["by_model"], "gpt-4o"), 40u);
  EXPECT_EQ(json_uint(root["by_model"], "gemma-2-9b"), 11u);

  const auto table = emosweep("cache stats --cache " + shell_quote(dir));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("entries        51\n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("oldest         2023-11-14T22:13:20.000Z"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("gemma-2-9b          11\n"), std::string::npos) << table.out;
}

TEST(CacheCli, VerifyCleanThenDamaged) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  fill(dir);
  const auto clean = emosweep("cache verify --cache " + shell_quote(dir));
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("51 entries, 0 corrupt: OK"), std::string::npos) << clean.out;

  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const Key k = key_of(3);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(),
                        rocksdb::Slice(reinterpret_cast<const char*>(k.data()), k.size()),
                        "\x01garbage")
                    .ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const auto damaged = emosweep("cache verify --cache " + shell_quote(dir));
  EXPECT_EQ(damaged.exit_code, 1) << damaged.out << damaged.err;
  EXPECT_NE(damaged.out.find("key " + key_to_hex(key_of(3)) + ": bad value"), std::string::npos)
      << damaged.out;
  EXPECT_NE(damaged.out.find("50 entries, 1 corrupt: DAMAGED"), std::string::npos) << damaged.out;
}

TEST(CacheCli, ExportThenImportIntoAFreshCache) {
  TempDir tmp;
  const std::string dir = tmp / "cache";
  fill(dir);
  const std::string file = tmp / "shared.jsonl";
  const auto to_file =
      emosweep("cache export --cache " + shell_quote(dir) + " --out " + shell_quote(file));
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_NE(to_file.err.find("exported 51 entries"), std::string::npos) << to_file.err;
  const auto to_stdout = emosweep("cache export --cache " + shell_quote(dir));
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  std::ifstream in(file, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(written, to_stdout.out);
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 51);

  const std::string colleague = tmp / "colleague/cache";
  const auto imported =
      emosweep("cache import " + shell_quote(file) + " --cache " + shell_quote(colleague));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported 51 entries"), std::string::npos) << imported.out;
  const auto again = emosweep("cache export --cache " + shell_quote(colleague));
  EXPECT_EQ(again.out, written);
  const auto twice =
      emosweep("cache import " + shell_quote(file) + " --cache " + shell_quote(colleague));
  EXPECT_NE(twice.out.find("imported 0 entries"), std::string::npos) << twice.out;
}

TEST(CacheCli, BadInputIsExitTwoWithOneLine) {
  TempDir tmp;
  const std::string missing = tmp / "missing";
  for (const char* sub : {"stats", "verify", "export"}) {
    const auto r = emosweep(std::string("cache ") + sub + " --cache " + shell_quote(missing));
    EXPECT_EQ(r.exit_code, 2) << sub;
    EXPECT_EQ(r.err, "emosweep: error: cache directory " + missing + ": does not exist\n") << sub;
    EXPECT_TRUE(r.out.empty()) << sub;
  }
  const std::string bad = tmp / "bad.jsonl";
  std::ofstream(bad) << "{\"key\": 1}\n";
  const auto r =
      emosweep("cache import " + shell_quote(bad) + " --cache " + shell_quote(tmp / "new"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "emosweep: error: " + bad + ": line 1: 'key' must be a string\n");
  const auto usage = emosweep("cache stats");
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace emosweep::cache
