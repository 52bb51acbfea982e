// Response-cache kernels (docs/PERFORMANCE.md, "Cache"): key hashing, value decoding, RocksDB
// puts, group commits, point and batched lookups, and a fully cached replay (hash + MultiGet
// + decode per item). References measured in the same run: raw SHA-256 over the same bytes
// (for key hashing) and the 200,000 items/s replay goal of issue 4.
//
// The store lives in a temporary directory under $TMPDIR, filled once with kEntries answers,
// reopened (so lookups hit table files, as a resumed run does) and removed at the end.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "cache/key.hpp"
#include "cache/store.hpp"
#include "core/hash.hpp"

namespace {

using namespace emosweep;
using cache::CachedResponse;
using cache::Key;
using cache::RequestIdentity;

constexpr int kEntries = 200'000;
constexpr std::size_t kBatch = 256;

// A zero-shot EXPRESS prompt of typical size (~260 words of context).
std::string prompt_text(int item) {
  std::string text =
      "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
      "self-disclosure text from social media. Predict the 2 <mask> token(s) based on the "
      "context. \nProvide your answer in the format: ['insert emotion word for mask 1', "
      "'insert emotion word for mask 2']. The length of the list must be 2. Only include words "
      "describing emotions, and provide no extra text or reasoning.\n\nText:\n";
  for (int w = 0; w < 260; ++w)
    text += (w % 97 == 13) ? "<mask> " : "word ";
  text += "item " + std::to_string(item) + "\n\nAnswer:";
  return text;
}

RequestIdentity identity(int item) {
  RequestIdentity id;
  id.dialect = providers::Dialect::openai;
  id.base_url = "http://127.0.0.1:8000/v1";
  id.request.model = "gpt-4o-2024-08-06";
  id.request.messages = {{"user", prompt_text(item)}};
  id.request.params.temperature = 0.0;
  id.request.params.max_tokens = 256;
  id.template_version = "express-zero-shot@1";
  return id;
}

CachedResponse answer(int item) {
  CachedResponse r;
  r.text = "['relieved', 'grateful']";
  r.finish_reason = "stop";
  r.request_id = "chatcmpl-" + std::to_string(1'000'000 + item);
  r.run_id = "bench-run";
  r.model = "gpt-4o-2024-08-06";
  r.prompt_tokens = 380;
  r.completion_tokens = 8;
  r.latency_ms = 812.25;
  r.stored_at_ms = 1'732'540'000'000 + item;
  return r;
}

// A fresh, random-looking key per counter value (splitmix64), cheap enough to make inside
// the timed loop of the write benchmarks.
Key fresh_key(std::uint64_t counter) {
  Key key{};
  for (std::size_t word = 0; word < 4; ++word) {
    std::uint64_t z = counter * 4 + word + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (std::size_t b = 0; b < 8; ++b)
      key[word * 8 + b] = static_cast<unsigned char>(z >> (8 * b));
  }
  return key;
}

struct Context {
  std::string dir;
  std::unique_ptr<cache::Store> store;
  std::vector<Key> hits;       // kEntries stored keys, in item order
  std::vector<Key> shuffled;   // the same keys in a random order (a replay's access pattern)
  std::vector<Key> misses;     // keys never stored
  std::uint64_t next_put = 0;  // counter for fresh_key()

  Context() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "emosweep-cache-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir = pattern + "/cache";
    {
      auto writer = cache::Store::open(dir);
      std::vector<std::pair<Key, CachedResponse>> batch;
      for (int i = 0; i < kEntries; ++i) {
        hits.push_back(cache::cache_key(identity(i)));
        batch.emplace_back(hits.back(), answer(i));
        if (batch.size() == 1024) {
          writer->write_batch(batch, false);
          batch.clear();
        }
      }
      writer->write_batch(batch, true);
    }
    store = cache::Store::open(dir);
    shuffled = hits;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(42));
    for (int i = 0; i < 4096; ++i)
      misses.push_back(cache::cache_key(identity(-1 - i)));
  }
  ~Context() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ec);
  }
};

void register_all(Context& ctx) {
  benchmark::RegisterBenchmark("reference/sha256_of_encoding", [](benchmark::State& state) {
    const std::string bytes = cache::canonical_encoding(identity(1));
    for (auto _ : state)
      benchmark::DoNotOptimize(hash::sha256(bytes));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
  });
  benchmark::RegisterBenchmark("key/cache_key", [](benchmark::State& state) {
    const RequestIdentity id = identity(1);
    for (auto _ : state)
      benchmark::DoNotOptimize(cache::cache_key(id));
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("key/key_builder", [](benchmark::State& state) {
    const RequestIdentity id = identity(1);
    cache::KeyBuilder builder;
    for (auto _ : state)
      benchmark::DoNotOptimize(builder(id));
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("key/normalize_base_url", [](benchmark::State& state) {
    for (auto _ : state)
      benchmark::DoNotOptimize(cache::normalize_base_url("http://127.0.0.1:8000/v1"));
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("value/encode", [](benchmark::State& state) {
    const CachedResponse r = answer(1);
    std::string out;
    for (auto _ : state) {
      cache::encode_value(r, out);
      benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("value/decode", [](benchmark::State& state) {
    const std::string bytes = cache::encode_value(answer(1));
    CachedResponse out;
    for (auto _ : state)
      benchmark::DoNotOptimize(cache::decode_value(bytes, out));
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("store/put_nosync", [&ctx](benchmark::State& state) {
    const CachedResponse r = answer(1);
    for (auto _ : state)
      ctx.store->put(fresh_key(ctx.next_put++), r, false);
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("store/write_batch256_sync", [&ctx](benchmark::State& state) {
    std::vector<std::pair<Key, CachedResponse>> batch;
    for (std::size_t i = 0; i < kBatch; ++i)
      batch.emplace_back(Key{}, answer(static_cast<int>(i)));
    for (auto _ : state) {
      for (auto& entry : batch)
        entry.first = fresh_key(ctx.next_put++);
      ctx.store->write_batch(batch, true);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  })->UseRealTime();
  benchmark::RegisterBenchmark("store/get_hit", [&ctx](benchmark::State& state) {
    std::size_t i = 0;
    for (auto _ : state) {
      auto r = ctx.store->get(ctx.shuffled[i]);
      if (!r) state.SkipWithError("miss");
      benchmark::DoNotOptimize(r);
      if (++i == ctx.shuffled.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("store/get_miss", [&ctx](benchmark::State& state) {
    std::size_t i = 0;
    for (auto _ : state) {
      auto r = ctx.store->get(ctx.misses[i]);
      if (r) state.SkipWithError("hit");
      benchmark::DoNotOptimize(r);
      i = (i + 1) % ctx.misses.size();
    }
    state.SetItemsProcessed(state.iterations());
  });
  benchmark::RegisterBenchmark("store/multi_get256", [&ctx](benchmark::State& state) {
    std::vector<std::optional<CachedResponse>> out;
    const std::size_t windows = ctx.shuffled.size() / kBatch;
    std::size_t window = 0;
    for (auto _ : state) {
      ctx.store->multi_get(std::span(ctx.shuffled).subspan(window * kBatch, kBatch), out);
      if (!out.front() || !out.back()) state.SkipWithError("miss");
      benchmark::DoNotOptimize(out.data());
      if (++window == windows) window = 0;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  });
  // A fully cached rerun: for each item, hash its identity, then look up 256 at a time.
  // Rendering the prompt is the caller's work and is done outside the timed region.
  benchmark::RegisterBenchmark("replay/hash_multiget_decode", [&ctx](benchmark::State& state) {
    std::vector<RequestIdentity> ids;
    for (std::size_t i = 0; i < 64 * kBatch; ++i)
      ids.push_back(identity(static_cast<int>(i)));
    std::vector<Key> keys(kBatch);
    std::vector<std::optional<CachedResponse>> out;
    cache::KeyBuilder key_of;
    std::size_t next = 0;
    std::uint64_t found = 0;
    for (auto _ : state) {
      for (auto& k : keys) {
        k = key_of(ids[next]);
        next = (next + 1) % ids.size();
      }
      ctx.store->multi_get(keys, out);
      for (const auto& r : out)
        found += r.has_value();
    }
    if (found != state.iterations() * kBatch) state.SkipWithError("replay missed entries");
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::fprintf(stderr, "filling a cache with %d entries...\n", kEntries);
  Context ctx;
  register_all(ctx);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
