// Internals of cache::Store shared by its translation units (store.cpp, jsonl.cpp).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include "cache/store.hpp"

namespace emosweep::cache {

struct Store::Impl {
  enum class Mode { primary, read_only, secondary };

  std::string dir;
  Mode mode = Mode::primary;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ReadOptions point_reads;  // get / multi_get / contains
  rocksdb::ReadOptions scans;        // whole-database iteration: no block-cache pollution
  mutable std::atomic<std::uint64_t> corrupt_reads{0};

  // Throws std::logic_error unless this instance may write.
  void require_writable(const char* operation) const;
  // Commits `batch` (WAL on); throws std::runtime_error naming the directory on failure.
  void commit(rocksdb::WriteBatch& batch, bool sync);
};

namespace detail {

inline rocksdb::Slice key_slice(const Key& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}
inline std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

}  // namespace detail
}  // namespace emosweep::cache
