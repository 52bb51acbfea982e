#include "cache/detail/hashed_memtable.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>

#include "core/hash.hpp"

namespace emosweep::cache::detail {
namespace {

using rocksdb::Slice;
using Compare = rocksdb::MemTableRep::KeyComparator;

// One entry: its bucket-list link, followed by the memtable key RocksDB encodes (the
// length-prefixed internal key, then the value). Nodes live in the memtable's arena.
struct Node {
  std::atomic<Node*> next{nullptr};
  std::uint64_t lead = 0;  // leading_bytes() of the user key, set by Insert()

  const char* key() const { return reinterpret_cast<const char*>(this + 1); }
  static Node* of(const char* key) {
    return const_cast<Node*>(reinterpret_cast<const Node*>(key) - 1);
  }
};

Slice user_key_of(const char* memtable_key) {
  const Slice internal = rocksdb::GetLengthPrefixedSlice(memtable_key);
  return {internal.data(), internal.size() - 8};  // the last 8 bytes: sequence and type
}

// A user key's first eight bytes as a big-endian integer, zero-padded: with a bytewise
// comparator, keys whose integers differ are ordered as the integers are.
std::uint64_t leading_bytes(const Slice& user_key) {
  unsigned char bytes[8] = {};
  std::memcpy(bytes, user_key.data(), std::min<std::size_t>(sizeof bytes, user_key.size()));
  std::uint64_t value = 0;
  for (unsigned char b : bytes)
    value = value << 8 | b;
  return value;
}

// Whether `compare` orders user keys bytewise (RocksDB's default comparator), judged on probe
// keys that any other order (reverse, length first...) gets wrong. Only then may the leading
// bytes of keys stand in for the comparator.
bool orders_bytewise(const Compare& compare) {
  static constexpr std::string_view probes[] = {
      {"", 0},     {"\0", 1},          {"\0\0", 2},        {"\1", 1},    {"a", 1},
      {"ab", 2},   {"abcdefghij", 10}, {"abcdefghik", 10}, {"b", 1},     {"ba", 2},
      {"\x7f", 1}, {"\x80", 1},        {"\xff", 1},        {"\xff\0", 2}};
  const auto encode = [](std::string_view user_key) {
    std::string key(1, static_cast<char>(user_key.size() + 8));  // varint32 of a small length
    key.append(user_key);
    key.append("\x01\x01\0\0\0\0\0\0", 8);  // sequence 1, a value
    return key;
  };
  for (std::string_view a : probes)
    for (std::string_view b : probes) {
      const int c = compare(encode(a).data(), encode(b).data());
      const int expected = a.compare(b);  // char_traits<char> compares as unsigned char
      if ((c < 0) != (expected < 0) || (c > 0) != (expected > 0)) return false;
    }
  return true;
}

// Iterators are placed in storage their memtable owns: RocksDB only destroys the ones it asks
// to place in its own arena (an internal type this rep cannot reach), deletes the others, and
// its default Get() neither deletes nor destroys. A no-op operator delete serves all three.
class PlacedIterator : public rocksdb::MemTableRep::Iterator {
 public:
  static void operator delete(void*) noexcept {}
};

// Iterates a sorted array of memtable keys, borrowed or owned.
class SortedIterator final : public PlacedIterator {
 public:
  SortedIterator(const Compare& compare, const std::vector<const char*>& keys)
      : compare_(compare), keys_(keys.data()), size_(keys.size()), at_(size_) {}
  SortedIterator(const Compare& compare, std::vector<const char*>&& keys)
      : compare_(compare),
        owned_(std::move(keys)),
        keys_(owned_.data()),
        size_(owned_.size()),
        at_(size_) {}

  bool Valid() const override { return at_ < size_; }
  const char* key() const override { return keys_[at_]; }
  void Next() override { ++at_; }
  void Prev() override { at_ = at_ == 0 ? size_ : at_ - 1; }
  void Seek(const Slice& internal_key, const char* memtable_key) override {
    at_ = count_before(internal_key, memtable_key, false);
  }
  void SeekForPrev(const Slice& internal_key, const char* memtable_key) override {
    const std::size_t not_after = count_before(internal_key, memtable_key, true);
    at_ = not_after == 0 ? size_ : not_after - 1;
  }
  void SeekToFirst() override { at_ = 0; }
  void SeekToLast() override { at_ = size_ == 0 ? 0 : size_ - 1; }

 private:
  // How many keys sort before the target (or equal to it too, with `or_equal`).
  std::size_t count_before(const Slice& internal_key, const char* memtable_key,
                           bool or_equal) const {
    const auto before = [&](const char* key) {
      const int c =
          memtable_key != nullptr ? compare_(key, memtable_key) : compare_(key, internal_key);
      return or_equal ? c <= 0 : c < 0;
    };
    return static_cast<std::size_t>(std::partition_point(keys_, keys_ + size_, before) - keys_);
  }

  const Compare& compare_;
  std::vector<const char*> owned_;
  const char* const* keys_;
  std::size_t size_;
  std::size_t at_;
};

class HashedMemTable final : public rocksdb::MemTableRep {
 public:
  HashedMemTable(const Compare& compare, rocksdb::Allocator* allocator,
                 const rocksdb::SliceTransform* prefix_extractor, std::size_t bucket_count)
      : MemTableRep(allocator),
        compare_(compare),
        prefix_extractor_(prefix_extractor),
        mask_(bucket_count - 1),
        buckets_(std::make_unique<std::atomic<Node*>[]>(bucket_count)),
        bytewise_(orders_bytewise(compare)) {}

  // The node goes in the memtable's arena right before the key RocksDB writes.
  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    char* raw = nullptr;
    MemTableRep::Allocate(len + sizeof(Node) + alignof(Node) - 1, &raw);
    const auto address = reinterpret_cast<std::uintptr_t>(raw);
    void* aligned = reinterpret_cast<void*>((address + alignof(Node) - 1) &
                                            ~(std::uintptr_t{alignof(Node)} - 1));
    *buf = const_cast<char*>((::new (aligned) Node)->key());
    return *buf;
  }

  // The single writer: links the node into its bucket's list, kept sorted. Readers walking the
  // list see either the old or the new link, and the node complete (release/acquire).
  void Insert(rocksdb::KeyHandle handle) override {
    Node* node = Node::of(static_cast<const char*>(handle));
    const Slice user_key = user_key_of(node->key());
    node->lead = leading_bytes(user_key);
    std::atomic<Node*>* link = &bucket(prefix_of(user_key));
    Node* next = link->load(std::memory_order_relaxed);  // only this thread stores links
    while (next != nullptr && before(next, node)) {
      link = &next->next;
      next = link->load(std::memory_order_relaxed);
    }
    node->next.store(next, std::memory_order_relaxed);
    link->store(node, std::memory_order_release);
    entries_.fetch_add(1, std::memory_order_relaxed);
  }

  bool Contains(const char* key) const override {
    for (const Node* n = first_in_bucket_of(key); n != nullptr;
         n = n->next.load(std::memory_order_acquire)) {
      const int c = compare_(n->key(), key);
      if (c >= 0) return c == 0;
    }
    return false;
  }

  void MarkReadOnly() override { read_only_.store(true, std::memory_order_release); }

  // Must not change once the memtable is listed (RocksDB subtracts what it added): the buckets
  // only. Nodes are in the arena, which RocksDB counts itself.
  std::size_t ApproximateMemoryUsage() override { return (mask_ + 1) * sizeof(std::atomic<Node*>); }

  // Total order. A read-only memtable (the one being flushed) is sorted once and shared; a
  // memtable still taking writes is copied and sorted for this iterator (whole scans only).
  Iterator* GetIterator(rocksdb::Arena* /*arena*/) override {
    if (read_only_.load(std::memory_order_acquire)) {
      std::call_once(sorted_once_, [this] { sorted_ = sorted_snapshot(); });
      return place<SortedIterator>(compare_, sorted_);
    }
    return place<SortedIterator>(compare_, sorted_snapshot());
  }

  // What point lookups use (RocksDB's Get() seeks one of these): one bucket's list.
  Iterator* GetDynamicPrefixIterator(rocksdb::Arena* /*arena*/) override;

  Slice prefix_of(const Slice& user_key) const {
    if (prefix_extractor_ != nullptr && prefix_extractor_->InDomain(user_key))
      return prefix_extractor_->Transform(user_key);
    return user_key;
  }
  bool same_prefix(const char* a, const char* b) const {
    return prefix_of(user_key_of(a)) == prefix_of(user_key_of(b));
  }
  std::atomic<Node*>& bucket(const Slice& prefix) const {
    return buckets_[hash::table_hash({prefix.data(), prefix.size()}) & mask_];
  }
  Node* first_in_bucket_of(const char* key) const {
    return bucket(prefix_of(user_key_of(key))).load(std::memory_order_acquire);
  }
  const Compare& compare() const { return compare_; }

 private:
  // Storage for an iterator, kept until the memtable goes (a few per flush or scan).
  template <typename T, typename... Args>
  T* place(Args&&... args) {
    static_assert(alignof(T) <= alignof(std::max_align_t));
    auto block = std::make_unique<std::max_align_t[]>((sizeof(T) + sizeof(std::max_align_t) - 1) /
                                                      sizeof(std::max_align_t));
    T* placed = ::new (block.get()) T(std::forward<Args>(args)...);
    const std::lock_guard lock(placed_mutex_);
    placed_.push_back(std::move(block));
    return placed;
  }

  // Whether `a` sorts before `b`: for a bytewise comparator the leading bytes decide unless
  // they are equal (an integer compare instead of a virtual call decoding both keys).
  bool before(const Node* a, const Node* b) const {
    if (bytewise_ && a->lead != b->lead) return a->lead < b->lead;
    return compare_(a->key(), b->key()) < 0;
  }

  // Every entry in comparator order.
  std::vector<const char*> sorted_snapshot() const {
    std::vector<const Node*> nodes;
    nodes.reserve(entries_.load(std::memory_order_relaxed));
    for (std::size_t b = 0; b <= mask_; ++b)
      for (const Node* n = buckets_[b].load(std::memory_order_acquire); n != nullptr;
           n = n->next.load(std::memory_order_acquire))
        nodes.push_back(n);
    std::sort(nodes.begin(), nodes.end(),
              [this](const Node* a, const Node* b) { return before(a, b); });
    std::vector<const char*> keys;
    keys.reserve(nodes.size());
    for (const Node* n : nodes)
      keys.push_back(n->key());
    return keys;
  }

  const Compare& compare_;
  const rocksdb::SliceTransform* prefix_extractor_;
  std::size_t mask_;
  std::unique_ptr<std::atomic<Node*>[]> buckets_;
  bool bytewise_;  // see orders_bytewise()
  std::atomic<std::size_t> entries_{0};
  std::atomic<bool> read_only_{false};
  std::once_flag sorted_once_;
  std::vector<const char*> sorted_;
  std::mutex placed_mutex_;
  std::vector<std::unique_ptr<std::max_align_t[]>> placed_;
  // RocksDB's default Get() asks for a prefix iterator without an arena and abandons it when it
  // returns; calls without an arena use their iterator only within the call. So each thread
  // reuses one storage (a BucketIterator owns nothing: its destructor does nothing).
  std::vector<std::pair<std::thread::id, void*>> per_thread_;
};

// Iterates the keys that share the seek target's prefix, in order, along one bucket's list
// (sorted, and holding keys of other prefixes only on a hash collision). Like RocksDB's own
// hashed memtables it has no total order: SeekToFirst/SeekToLast leave it invalid.
class BucketIterator final : public PlacedIterator {
 public:
  explicit BucketIterator(const HashedMemTable& table) : table_(table) {}

  bool Valid() const override { return node_ != nullptr; }
  const char* key() const override { return node_->key(); }
  void Next() override {
    const Node* next = node_->next.load(std::memory_order_acquire);
    node_ = next != nullptr && table_.same_prefix(next->key(), node_->key()) ? next : nullptr;
  }
  void Prev() override {
    // The lists are singly linked and a few nodes long: walk from the head. Nodes are never
    // unlinked, so the walk reaches the current one.
    const Node* before = nullptr;
    for (const Node* n = table_.first_in_bucket_of(node_->key()); n != node_;
         n = n->next.load(std::memory_order_acquire))
      before = n;
    node_ = before != nullptr && table_.same_prefix(before->key(), node_->key()) ? before : nullptr;
  }
  void Seek(const Slice& internal_key, const char* memtable_key) override {
    node_ = nullptr;
    const Slice prefix = table_.prefix_of(user_key_of_internal(internal_key));
    for (const Node* n = table_.bucket(prefix).load(std::memory_order_acquire); n != nullptr;
         n = n->next.load(std::memory_order_acquire)) {
      if (compare(n, internal_key, memtable_key) >= 0) {
        if (table_.prefix_of(user_key_of(n->key())) == prefix) node_ = n;
        return;
      }
    }
  }
  void SeekForPrev(const Slice& internal_key, const char* memtable_key) override {
    node_ = nullptr;
    const Slice prefix = table_.prefix_of(user_key_of_internal(internal_key));
    const Node* last = nullptr;
    for (const Node* n = table_.bucket(prefix).load(std::memory_order_acquire);
         n != nullptr && compare(n, internal_key, memtable_key) <= 0;
         n = n->next.load(std::memory_order_acquire))
      last = n;
    if (last != nullptr && table_.prefix_of(user_key_of(last->key())) == prefix) node_ = last;
  }
  void SeekToFirst() override { node_ = nullptr; }
  void SeekToLast() override { node_ = nullptr; }

 private:
  static Slice user_key_of_internal(const Slice& internal_key) {
    return {internal_key.data(), internal_key.size() - 8};
  }
  int compare(const Node* n, const Slice& internal_key, const char* memtable_key) const {
    return memtable_key != nullptr ? table_.compare()(n->key(), memtable_key)
                                   : table_.compare()(n->key(), internal_key);
  }

  const HashedMemTable& table_;
  const Node* node_ = nullptr;
};

rocksdb::MemTableRep::Iterator* HashedMemTable::GetDynamicPrefixIterator(rocksdb::Arena* arena) {
  if (arena != nullptr) return place<BucketIterator>(*this);
  const auto self = std::this_thread::get_id();
  {
    const std::lock_guard lock(placed_mutex_);
    for (const auto& [thread, storage] : per_thread_)
      if (thread == self) return ::new (storage) BucketIterator(*this);  // a fresh one in place
  }
  BucketIterator* iterator = place<BucketIterator>(*this);
  const std::lock_guard lock(placed_mutex_);
  per_thread_.emplace_back(self, iterator);
  return iterator;
}

}  // namespace

HashedMemTableFactory::HashedMemTableFactory(std::size_t bucket_count)
    : bucket_count_(std::bit_ceil(std::max<std::size_t>(bucket_count, 1))) {}

rocksdb::MemTableRep* HashedMemTableFactory::CreateMemTableRep(
    const rocksdb::MemTableRep::KeyComparator& compare, rocksdb::Allocator* allocator,
    const rocksdb::SliceTransform* prefix_extractor, rocksdb::Logger* /*logger*/) {
  return new HashedMemTable(compare, allocator, prefix_extractor, bucket_count_);
}

}  // namespace emosweep::cache::detail
