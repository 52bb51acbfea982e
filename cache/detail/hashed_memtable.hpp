// A RocksDB memtable representation for the response cache: hash buckets of short sorted lists
// while the memtable takes writes, one sort when it is flushed.
//
// Why not RocksDB's own: cache keys are SHA-256 digests, uniformly random and only ever looked
// up whole. The default skip list pays a walk through hundreds of thousands of random keys (a
// cache miss per level) on every insert; the hashed skip list inserts cheaply but, to flush,
// re-inserts every entry into a new skip list (and Debian's build asserts each insert with a
// full lookup). Here an insert links one node into its bucket's list, a lookup walks one
// bucket, and a flush sorts the entries once. Keys are compared by their first eight bytes (an
// integer compare kept in each node) and by the memtable's comparator only on ties; a
// comparator that is not bytewise (detected on probe keys) is used for every compare.
// Measured with the sweep benchmark: docs/PERFORMANCE.md.
//
// Contract (RocksDB's MemTableRep): one writer at a time (allow_concurrent_memtable_write =
// false) alongside any number of readers; the lists are linked with release/acquire so readers
// need no lock. Iterators from GetDynamicPrefixIterator() see only the keys sharing the seek
// target's prefix (the prefix extractor's, or the whole user key without one), as RocksDB's
// prefix seek allows; GetIterator() sees every key in comparator order.
#pragma once

#include <cstddef>

#include <rocksdb/memtablerep.h>

namespace emosweep::cache::detail {

class HashedMemTableFactory final : public rocksdb::MemTableRepFactory {
 public:
  // `bucket_count` is rounded up to a power of two; about one bucket per expected entry.
  explicit HashedMemTableFactory(std::size_t bucket_count);

  using rocksdb::MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator& compare,
                                          rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform* prefix_extractor,
                                          rocksdb::Logger* logger) override;
  const char* Name() const override { return "EmosweepHashedMemTableFactory"; }
  bool IsInsertConcurrentlySupported() const override { return false; }
  bool CanHandleDuplicatedKey() const override { return false; }

 private:
  std::size_t bucket_count_;
};

}  // namespace emosweep::cache::detail
