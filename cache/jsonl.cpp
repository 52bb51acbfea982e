// JSONL export and import of a cache, for sharing it with colleagues.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>
#include <rocksdb/iterator.h>
#include <simdjson.h>

#include "cache/detail/store_impl.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/lines.hpp"
#include "core/text.hpp"

namespace emosweep::cache {
using detail::key_slice;
using detail::view;

namespace {

constexpr std::size_t kImportBatch = 1024;  // entries per group commit

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  out.assign(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i)
    --size;
  out.resize(size);
  return true;
}

// Writes a string field as JSON text when it is valid UTF-8, else as base64 under
// "<name>_base64", so that the export never alters a byte.
void write_bytes(json::Writer& w, std::string_view name, std::string_view value) {
  if (text::is_valid_utf8(value)) {
    w.field(name, value);
  } else {
    w.key(std::string(name) + "_base64");
    w.value(base64_encode(value));
  }
}

void write_entry(json::Writer& w, std::string_view key_hex, const CachedResponse& v) {
  w.begin_object();
  w.field("key", key_hex);
  write_bytes(w, "text", v.text);
  write_bytes(w, "finish_reason", v.finish_reason);
  w.field("outcome", v.outcome);
  w.field("prompt_tokens", v.prompt_tokens);
  w.field("completion_tokens", v.completion_tokens);
  w.field("latency_ms", v.latency_ms);
  w.field("http_status", v.http_status);
  w.field("attempts", v.attempts);
  write_bytes(w, "request_id", v.request_id);
  w.field("stored_at_ms", v.stored_at_ms);
  write_bytes(w, "run_id", v.run_id);
  write_bytes(w, "model", v.model);
  w.field("dialect", providers::to_string(v.dialect));
  w.end_object();
}

// Parses and validates one exported line; throws InputError naming the file and line.
class LineParser {
 public:
  explicit LineParser(const std::string& path) : path_(path) {}

  void parse(std::string_view line, std::size_t line_number, Key& key, CachedResponse& out) {
    line_ = line_number;
    simdjson::dom::element root;
    if (auto err = parser_.parse(line.data(), line.size(), true).get(root))
      fail(fmt::format("not valid JSON ({})", simdjson::error_message(err)));
    simdjson::dom::object object;
    if (root.get(object)) fail("not a JSON object");

    enum Field : unsigned {
      kKey,
      kText,
      kFinish,
      kOutcome,
      kPrompt,
      kCompletion,
      kLatency,
      kStatus,
      kRequestId,
      kStoredAt,
      kRunId,
      kModel,
      kDialect,
      kAttempts,
      kFieldCount
    };
    static constexpr std::array<std::string_view, kFieldCount> kNames = {
        "key",          "text",          "finish_reason",
        "outcome",      "prompt_tokens", "completion_tokens",
        "latency_ms",   "http_status",   "request_id",
        "stored_at_ms", "run_id",        "model",
        "dialect",      "attempts"};
    std::array<bool, kFieldCount> seen{};
    for (auto [name_view, value] : object) {
      std::string_view name = name_view;
      bool base64 = false;
      if (name.ends_with("_base64")) {
        base64 = true;
        name.remove_suffix(7);
      }
      unsigned field = kFieldCount;
      for (unsigned i = 0; i < kFieldCount; ++i)
        if (kNames[i] == name) field = i;
      if (field == kFieldCount) fail(fmt::format("unknown key '{}'", text::repair_utf8(name_view)));
      const bool bytes_field = field == kText || field == kFinish || field == kRequestId ||
                               field == kRunId || field == kModel;
      if (base64 && !bytes_field)
        fail(fmt::format("unknown key '{}'", text::repair_utf8(name_view)));
      if (seen[field]) fail(fmt::format("duplicate key '{}'", name));
      seen[field] = true;
      switch (field) {
        case kKey: {
          const std::string_view hex = string(value, name);
          if (!parse_key_hex(hex, key)) fail("'key' is not 64 hexadecimal digits");
          break;
        }
        case kText:
          bytes(value, name, base64, out.text);
          break;
        case kFinish:
          bytes(value, name, base64, out.finish_reason);
          break;
        case kRequestId:
          bytes(value, name, base64, out.request_id);
          break;
        case kRunId:
          bytes(value, name, base64, out.run_id);
          break;
        case kModel:
          bytes(value, name, base64, out.model);
          break;
        case kOutcome: {
          const std::string_view outcome = string(value, name);
          if (!is_cacheable_outcome(outcome))
            fail(fmt::format("'outcome' must be ok or safety_blocked, not '{}'",
                             text::repair_utf8(outcome)));
          out.outcome = outcome;
          break;
        }
        case kDialect: {
          const std::string_view dialect = string(value, name);
          const auto d = providers::dialect_from_string(dialect);
          if (!d) fail(fmt::format("unknown 'dialect' '{}'", text::repair_utf8(dialect)));
          out.dialect = *d;
          break;
        }
        case kPrompt:
          out.prompt_tokens = unsigned_integer(value, name);
          break;
        case kAttempts: {
          const std::uint64_t attempts = unsigned_integer(value, name);
          if (attempts > UINT32_MAX) fail("'attempts' is out of range");
          out.attempts = static_cast<std::uint32_t>(attempts);
          break;
        }
        case kCompletion:
          out.completion_tokens = unsigned_integer(value, name);
          break;
        case kStatus: {
          const std::uint64_t status = unsigned_integer(value, name);
          if (status > 999) fail(fmt::format("'http_status' {} is not an HTTP status", status));
          out.http_status = static_cast<unsigned>(status);
          break;
        }
        case kStoredAt: {
          std::int64_t v;
          if (value.get_int64().get(v)) fail("'stored_at_ms' must be an integer");
          out.stored_at_ms = v;
          break;
        }
        case kLatency: {
          double v;
          if (value.get_double().get(v)) {
            std::int64_t i;
            std::uint64_t u;
            if (!value.get_int64().get(i)) {
              v = static_cast<double>(i);
            } else if (!value.get_uint64().get(u)) {
              v = static_cast<double>(u);
            } else {
              fail("'latency_ms' must be a number");
            }
          }
          out.latency_ms = v;
          break;
        }
        default:
          break;
      }
    }
    for (unsigned i = 0; i < kFieldCount; ++i)
      if (!seen[i]) fail(fmt::format("missing key '{}'", kNames[i]));
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(fmt::format("{}: line {}: {}", path_, line_, why));
  }
  std::string_view string(simdjson::dom::element value, std::string_view name) const {
    std::string_view s;
    if (value.get_string().get(s)) fail(fmt::format("'{}' must be a string", name));
    return s;
  }
  void bytes(simdjson::dom::element value, std::string_view name, bool base64,
             std::string& out) const {
    const std::string_view s = string(value, base64 ? std::string(name) + "_base64" : name);
    if (!base64) {
      out.assign(s);
    } else if (!base64_decode(s, out)) {
      fail(fmt::format("'{}_base64' is not valid base64", name));
    }
  }
  std::uint64_t unsigned_integer(simdjson::dom::element value, std::string_view name) const {
    std::uint64_t v;
    if (value.get_uint64().get(v)) fail(fmt::format("'{}' must be a non-negative integer", name));
    return v;
  }

  const std::string& path_;
  simdjson::dom::parser parser_;
  std::size_t line_ = 0;
};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

std::uint64_t Store::export_jsonl(std::ostream& out) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->scans));
  CachedResponse value;
  std::string line;
  std::string why;
  std::uint64_t written = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = view(it->key());
    const std::string key_hex =
        hash::to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size());
    if (key.size() != std::tuple_size_v<Key> || !decode_value(view(it->value()), value, &why))
      throw std::runtime_error(fmt::format(
          "cache {}: corrupt entry {}; run `emosweep cache verify`", impl_->dir, key_hex));
    line.clear();
    json::Writer w(&line);
    write_entry(w, key_hex, value);
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    ++written;
  }
  if (!it->status().ok())
    throw std::runtime_error(
        fmt::format("cache {}: scan failed: {}", impl_->dir, it->status().ToString()));
  out.flush();
  if (!out) throw std::runtime_error(fmt::format("cache {}: export: write failed", impl_->dir));
  return written;
}

std::uint64_t Store::import_jsonl(const std::string& path, bool overwrite) {
  impl_->require_writable("import_jsonl");
  LineParser parser(path);
  Key key;
  CachedResponse value;
  std::string_view line;
  {
    // First pass: validate everything, so that a bad line leaves the cache untouched.
    LineReader reader(path);
    while (reader.next(line))
      if (!is_blank(line)) parser.parse(line, reader.line_number(), key, value);
  }
  LineReader reader(path);
  rocksdb::WriteBatch batch;
  std::unordered_set<std::string> pending;  // keys in `batch`: the first of duplicates wins
  std::string bytes;
  std::uint64_t written = 0;
  while (reader.next(line)) {
    if (is_blank(line)) continue;
    parser.parse(line, reader.line_number(), key, value);
    const std::string raw_key(reinterpret_cast<const char*>(key.data()), key.size());
    if (!overwrite && (pending.contains(raw_key) || contains(key))) continue;
    encode_value(value, bytes);
    batch.Put(key_slice(key), bytes);
    pending.insert(raw_key);
    ++written;
    if (batch.Count() >= kImportBatch) {
      impl_->commit(batch, false);
      batch.Clear();
      pending.clear();
    }
  }
  if (batch.Count() > 0) {
    impl_->commit(batch, true);  // also makes the earlier unsynced batches durable
  } else if (written > 0) {
    const auto s = impl_->db->SyncWAL();
    if (!s.ok())
      throw std::runtime_error(
          fmt::format("cache {}: syncing the WAL failed: {}", impl_->dir, s.ToString()));
  }
  return written;
}

}  // namespace emosweep::cache
