#include "cache/store.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <initializer_list>

#include "cache/detail/hashed_memtable.hpp"
#include "cache/detail/store_impl.hpp"
#include "core/error.hpp"

namespace emosweep::cache {
namespace fs = std::filesystem;
using detail::key_slice;
using detail::view;

namespace {

constexpr std::size_t kBlockCacheBytes = 64u << 20;
constexpr std::size_t kMultiGetChunk = 1024;  // bounds the scratch arrays of one MultiGet
constexpr std::size_t kCopyBatch = 1024;      // entries per group commit when merging

// The first of `wanted` that this RocksDB build supports.
rocksdb::CompressionType first_supported(std::initializer_list<rocksdb::CompressionType> wanted) {
  const auto supported = rocksdb::GetSupportedCompressions();
  for (auto w : wanted)
    if (std::find(supported.begin(), supported.end(), w) != supported.end()) return w;
  return rocksdb::kNoCompression;
}

rocksdb::Options make_options(bool create_if_missing) {
  rocksdb::Options o;
  o.create_if_missing = create_if_missing;
  // Fast LZ4 where data is written while the sweep runs (flushes, upper levels), zstd (best
  // ratio for text) on the bottommost level where nearly all of a large cache ends up.
  o.compression =
      first_supported({rocksdb::kLZ4Compression, rocksdb::kSnappyCompression, rocksdb::kZSTD});
  o.bottommost_compression =
      first_supported({rocksdb::kZSTD, rocksdb::kLZ4Compression, rocksdb::kSnappyCompression});
  o.level_compaction_dynamic_level_bytes = true;
  o.keep_log_file_num = 3;  // RocksDB's own info logs, not the WAL
  o.max_log_file_size = 4u << 20;
  o.max_open_files = -1;  // table readers stay open: no table-cache lookup per Get
  // Memory is bounded by these, not by the sweep: two 32 MB memtables at most (one being
  // flushed) besides the block cache.
  o.write_buffer_size = 32u << 20;
  o.max_write_buffer_number = 2;
  // Keys are SHA-256 digests: uniformly random, only ever looked up whole. The memtable hashes
  // them into buckets (an insert links one node instead of walking a skip list of hundreds of
  // thousands of random keys) and sorts once when flushed (cache/detail/hashed_memtable.hpp);
  // about one bucket per answer of ~256 bytes.
  o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  o.memtable_factory = std::make_shared<detail::HashedMemTableFactory>(o.write_buffer_size / 256);
  o.allow_concurrent_memtable_write = false;
  // Point lookups dominate: whole-key bloom filters on tables and memtable, hash index inside
  // data blocks, and a block cache of uncompressed blocks for replays.
  o.memtable_whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

bool is_lock_error(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() &&
         (text.find("/LOCK") != std::string::npos || text.find("lock hold") != std::string::npos);
}

// Directory checks first, so the common mistakes get a clear one-line message instead of
// RocksDB's.
void check_directory(const std::string& dir, bool may_create) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (!fs::exists(status)) {
    if (!may_create) throw InputError(fmt::format("cache directory {}: does not exist", dir));
    fs::create_directories(dir, ec);
    if (ec)
      throw InputError(fmt::format("cache directory {}: cannot create: {}", dir, ec.message()));
    return;
  }
  if (!fs::is_directory(status))
    throw InputError(fmt::format("cache directory {}: not a directory", dir));
  const bool is_cache = fs::exists(fs::path(dir) / "CURRENT", ec);
  if (is_cache) return;
  if (!may_create)
    throw InputError(
        fmt::format("cache directory {}: not an emosweep cache (no RocksDB CURRENT file)", dir));
  // Refuse to scatter database files over an unrelated folder given by mistake.
  if (!fs::is_empty(dir, ec) || ec)
    throw InputError(
        fmt::format("cache directory {}: exists, is not empty and is not an emosweep cache", dir));
}

std::uint64_t directory_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

[[noreturn]] void throw_rocksdb(const std::string& dir, const char* what,
                                const rocksdb::Status& s) {
  throw std::runtime_error(fmt::format("cache {}: {}: {}", dir, what, s.ToString()));
}

}  // namespace

void Store::Impl::require_writable(const char* operation) const {
  if (mode != Mode::primary)
    throw std::logic_error(
        fmt::format("cache {}: {} on a read-only or secondary instance", dir, operation));
}

void Store::Impl::commit(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions w;
  w.sync = sync;
  w.disableWAL = false;  // durability before "done" (DESIGN.md §5)
  const auto s = db->Write(w, &batch);
  if (!s.ok()) throw_rocksdb(dir, "write failed", s);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  if (impl_ && impl_->db) {
    // Close() reports errors that the destructor would swallow; nothing more can be done
    // here, and the WAL already holds every acknowledged write.
    (void)impl_->db->Close();
  }
}

std::unique_ptr<Store> Store::open(const std::string& dir, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  if (!options.secondary_path.empty()) {
    impl->mode = Impl::Mode::secondary;
  } else if (options.read_only) {
    impl->mode = Impl::Mode::read_only;
  }
  const bool may_create = impl->mode == Impl::Mode::primary && options.create_if_missing;
  check_directory(dir, may_create);

  rocksdb::Options db_options = make_options(may_create);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  switch (impl->mode) {
    case Impl::Mode::primary:
      s = rocksdb::DB::Open(db_options, dir, &raw);
      break;
    case Impl::Mode::read_only:
      s = rocksdb::DB::OpenForReadOnly(db_options, dir, &raw);
      break;
    case Impl::Mode::secondary: {
      std::error_code ec;
      fs::create_directories(options.secondary_path, ec);
      if (ec)
        throw InputError(fmt::format("cache secondary directory {}: cannot create: {}",
                                     options.secondary_path, ec.message()));
      db_options.max_open_files = -1;  // required by secondary instances
      s = rocksdb::DB::OpenAsSecondary(db_options, dir, options.secondary_path, &raw);
      break;
    }
  }
  if (!s.ok()) {
    if (is_lock_error(s))
      throw InputError(fmt::format(
          "cache directory {}: locked by another process or Store (is a run using it?); only "
          "one writer at a time, readers may open it read-only",
          dir));
    throw InputError(fmt::format("cache directory {}: cannot open: {}", dir, s.ToString()));
  }
  impl->db.reset(raw);
  impl->scans.fill_cache = false;
  impl->scans.readahead_size = 2u << 20;
  impl->scans.total_order_seek = true;  // whole scans ignore the (hash) prefix structure
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::string& Store::directory() const {
  return impl_->dir;
}
bool Store::read_only() const {
  return impl_->mode != Impl::Mode::primary;
}
std::uint64_t Store::corrupt_reads() const {
  return impl_->corrupt_reads.load();
}

std::optional<CachedResponse> Store::get(const Key& key) const {
  rocksdb::PinnableSlice value;
  const auto s =
      impl_->db->Get(impl_->point_reads, impl_->db->DefaultColumnFamily(), key_slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw_rocksdb(impl_->dir, "read failed", s);
  std::optional<CachedResponse> out(std::in_place);
  if (!decode_value(view(value), *out)) {
    impl_->corrupt_reads.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return out;
}

void Store::multi_get(std::span<const Key> keys,
                      std::vector<std::optional<CachedResponse>>& out) const {
  out.resize(keys.size());
  const std::size_t chunk = std::min(keys.size(), kMultiGetChunk);
  std::vector<rocksdb::Slice> slices(chunk);
  std::vector<rocksdb::PinnableSlice> values(chunk);
  std::vector<rocksdb::Status> statuses(chunk);
  std::vector<std::uint32_t> order(chunk);
  for (std::size_t begin = 0; begin < keys.size(); begin += chunk) {
    const std::size_t n = std::min(chunk, keys.size() - begin);
    // Keys handed over in the database's (bytewise) order: RocksDB would otherwise sort them
    // itself through its comparator's virtual calls. Equal keys may repeat.
    order.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      order[i] = static_cast<std::uint32_t>(begin + i);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
    for (std::size_t i = 0; i < n; ++i) {
      slices[i] = key_slice(keys[order[i]]);
      values[i].Reset();
    }
    impl_->db->MultiGet(impl_->point_reads, impl_->db->DefaultColumnFamily(), n, slices.data(),
                        values.data(), statuses.data(), /*sorted_input=*/true);
    for (std::size_t i = 0; i < n; ++i) {
      auto& slot = out[order[i]];
      if (statuses[i].IsNotFound()) {
        slot.reset();
        continue;
      }
      if (!statuses[i].ok()) throw_rocksdb(impl_->dir, "read failed", statuses[i]);
      if (!slot) slot.emplace();
      if (!decode_value(view(values[i]), *slot)) {
        impl_->corrupt_reads.fetch_add(1, std::memory_order_relaxed);
        slot.reset();
      }
    }
  }
  for (auto& v : values)
    v.Reset();
}

bool Store::contains(const Key& key) const {
  rocksdb::PinnableSlice value;
  const auto s =
      impl_->db->Get(impl_->point_reads, impl_->db->DefaultColumnFamily(), key_slice(key), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) throw_rocksdb(impl_->dir, "read failed", s);
  return true;
}

void Store::put(const Key& key, const CachedResponse& value, bool sync) {
  impl_->require_writable("put");
  const std::string bytes = encode_value(value);  // rejects error outcomes
  rocksdb::WriteBatch batch;
  batch.Put(key_slice(key), bytes);
  impl_->commit(batch, sync);
}

void Store::sync_wal() {
  impl_->require_writable("sync_wal");
  const auto s = impl_->db->SyncWAL();
  if (!s.ok()) throw_rocksdb(impl_->dir, "syncing the WAL failed", s);
}

void Store::write_batch(std::span<const std::pair<Key, CachedResponse>> entries, bool sync) {
  impl_->require_writable("write_batch");
  if (entries.empty()) return;
  rocksdb::WriteBatch batch;
  std::string bytes;
  for (const auto& [key, value] : entries) {
    encode_value(value, bytes);  // throws before anything is written
    batch.Put(key_slice(key), bytes);
  }
  impl_->commit(batch, sync);
}

void Store::catch_up() {
  if (impl_->mode != Impl::Mode::secondary) return;
  const auto s = impl_->db->TryCatchUpWithPrimary();
  if (!s.ok()) throw_rocksdb(impl_->dir, "catching up with the primary failed", s);
}

Store::Stats Store::stats() const {
  Stats stats;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->scans));
  CachedResponse value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != std::tuple_size_v<Key> || !decode_value(view(it->value()), value)) {
      ++stats.corrupt;
      continue;
    }
    if (stats.entries == 0) {
      stats.oldest_ms = stats.newest_ms = value.stored_at_ms;
    } else {
      stats.oldest_ms = std::min(stats.oldest_ms, value.stored_at_ms);
      stats.newest_ms = std::max(stats.newest_ms, value.stored_at_ms);
    }
    ++stats.entries;
    ++stats.by_model[value.model];
  }
  if (!it->status().ok()) throw_rocksdb(impl_->dir, "scan failed", it->status());
  stats.bytes_on_disk = directory_bytes(impl_->dir);
  return stats;
}

Store::VerifyReport Store::verify() const {
  VerifyReport report;
  auto problem = [&report](std::string line) {
    if (report.problems.size() < kMaxProblems) report.problems.push_back(std::move(line));
  };
  rocksdb::ReadOptions checked = impl_->scans;
  checked.verify_checksums = true;
  const auto s = impl_->db->VerifyChecksum(checked);
  if (!s.ok()) problem(fmt::format("checksum verification failed: {}", s.ToString()));

  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(checked));
  CachedResponse value;
  std::string why;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = view(it->key());
    if (key.size() != std::tuple_size_v<Key>) {
      ++report.corrupt;
      problem(
          fmt::format("key {}: {} bytes, expected {}",
                      hash::to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size()),
                      key.size(), std::tuple_size_v<Key>));
      continue;
    }
    if (!decode_value(view(it->value()), value, &why)) {
      ++report.corrupt;
      problem(fmt::format(
          "key {}: bad value: {}",
          hash::to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size()), why));
      continue;
    }
    ++report.entries;
  }
  if (!it->status().ok()) problem(fmt::format("scan failed: {}", it->status().ToString()));
  return report;
}

std::uint64_t Store::copy_from(const Store& other) {
  impl_->require_writable("copy_from");
  if (&other == this) return 0;
  std::unique_ptr<rocksdb::Iterator> it(other.impl_->db->NewIterator(other.impl_->scans));
  rocksdb::WriteBatch batch;
  std::uint64_t added = 0;
  CachedResponse value;
  std::string why;
  auto flush = [&](bool sync) {
    if (batch.Count() > 0) impl_->commit(batch, sync);
    batch.Clear();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = view(it->key());
    if (key.size() != std::tuple_size_v<Key> || !decode_value(view(it->value()), value, &why))
      throw InputError(fmt::format(
          "cache {}: corrupt entry {} ({}); run `emosweep cache verify`", other.impl_->dir,
          hash::to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size()),
          key.size() != std::tuple_size_v<Key> ? "bad key size" : why));
    rocksdb::PinnableSlice existing;
    const auto s =
        impl_->db->Get(impl_->point_reads, impl_->db->DefaultColumnFamily(), it->key(), &existing);
    if (s.ok()) continue;
    if (!s.IsNotFound()) throw_rocksdb(impl_->dir, "read failed", s);
    batch.Put(it->key(), it->value());
    ++added;
    if (batch.Count() >= kCopyBatch) flush(false);
  }
  if (!it->status().ok()) throw_rocksdb(other.impl_->dir, "scan failed", it->status());
  if (batch.Count() > 0) {
    flush(true);
  } else if (added > 0) {
    const auto s = impl_->db->SyncWAL();  // the earlier batches were written without fsync
    if (!s.ok()) throw_rocksdb(impl_->dir, "syncing the WAL failed", s);
  }
  return added;
}

}  // namespace emosweep::cache
