#include "core/csv.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.hpp"

namespace emosweep::csv {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

struct Reader::Source {
  int fd = -1;
  std::string memory;
  std::size_t memory_pos = 0;
  bool from_memory = false;

  ~Source() {
    if (fd >= 0) ::close(fd);
  }
  // Appends up to kChunk bytes to out; returns bytes read (0 at EOF).
  std::size_t read_into(std::string& out, const std::string& name) {
    if (from_memory) {
      const std::size_t n = std::min(kChunk, memory.size() - memory_pos);
      out.append(memory, memory_pos, n);
      memory_pos += n;
      return n;
    }
    const std::size_t old = out.size();
    out.resize(old + kChunk);
    ssize_t got;
    do {
      got = ::read(fd, out.data() + old, kChunk);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      out.resize(old);
      throw InputError(fmt::format("{}: read failed: {}", name, std::strerror(errno)));
    }
    out.resize(old + static_cast<std::size_t>(got));
    return static_cast<std::size_t>(got);
  }
};

Reader::Reader(std::unique_ptr<Source> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {
  if (!read_record(true)) throw InputError(fmt::format("{}: empty file, expected a header row", name_));
  header_.reserve(fields_.size());
  for (std::size_t i = 0; i < fields_.size(); ++i) header_.emplace_back(field(i));
  // A UTF-8 byte order mark is not part of the first column's name.
  if (!header_.empty() && header_[0].starts_with("\xEF\xBB\xBF")) header_[0].erase(0, 3);
  row_ = 0;
}

Reader::Reader(const std::string& path) : Reader(nullptr, path) {}

Reader Reader::from_string(std::string data, std::string name) {
  auto source = std::make_unique<Source>();
  source->from_memory = true;
  source->memory = std::move(data);
  return Reader(std::move(source), std::move(name));
}

Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

std::optional<std::size_t> Reader::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

std::size_t Reader::require_column(std::string_view name) const {
  if (auto c = column(name)) return *c;
  throw InputError(fmt::format("{}: missing column '{}'", name_, name));
}

std::string_view Reader::field(std::size_t i) const {
  const Span& s = fields_.at(i);
  return std::string_view(s.unescaped ? scratch_ : buf_).substr(s.offset, s.length);
}

std::string Reader::where() const {
  return fmt::format("{}: row {} (line {})", name_, row_, record_line_);
}

bool Reader::fill() {
  if (eof_) return false;
  if (!source_) {
    // Deferred open so that the delegating constructor can report the path.
    source_ = std::make_unique<Source>();
    source_->fd = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (source_->fd < 0)
      throw InputError(fmt::format("{}: cannot open: {}", name_, std::strerror(errno)));
  }
  // Drop consumed input so that memory stays bounded by the longest record.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  if (source_->read_into(buf_, name_) == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

bool Reader::next() {
  if (!read_record(false)) return false;
  ++row_;
  if (fields_.size() != header_.size()) {
    throw InputError(fmt::format("{}: expected {} fields, found {}", where(), header_.size(),
                                 fields_.size()));
  }
  return true;
}

// Parses one record starting at pos_. When the buffer ends before the record does, more
// input is read and the record is parsed again from its start (records are short compared
// with the chunk size, so the rescan is cheap).
bool Reader::read_record(bool header) {
  for (;;) {
    // Skip blank lines between records.
    while (true) {
      if (pos_ >= buf_.size() && !fill()) return false;
      const char c = buf_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
      } else if (c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
    fields_.clear();
    scratch_.clear();
    record_line_ = line_;
    std::size_t p = pos_;
    std::size_t lines = 0;
    bool need_more = false;
    bool done = false;
    const std::size_t n = buf_.size();
    while (!done) {
      if (p < n && buf_[p] == '"') {
        // Quoted field.
        std::size_t q = p + 1;
        const std::size_t scratch_start = scratch_.size();
        bool escaped = false;
        std::size_t seg_start = q;
        while (true) {
          const void* hit = q < n ? std::memchr(buf_.data() + q, '"', n - q) : nullptr;
          if (!hit) {
            need_more = true;
            break;
          }
          const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - buf_.data());
          if (quote + 1 >= n && !eof_) {  // cannot tell "" from " yet
            need_more = true;
            break;
          }
          if (quote + 1 < n && buf_[quote + 1] == '"') {
            if (!escaped) {
              escaped = true;
            }
            scratch_.append(buf_, seg_start, quote + 1 - seg_start);
            q = quote + 2;
            seg_start = q;
            continue;
          }
          // Closing quote.
          for (std::size_t k = p + 1; k < quote; ++k) lines += buf_[k] == '\n';
          if (escaped) {
            scratch_.append(buf_, seg_start, quote - seg_start);
            fields_.push_back({scratch_start, scratch_.size() - scratch_start, true});
          } else {
            scratch_.resize(scratch_start);
            fields_.push_back({p + 1, quote - p - 1, false});
          }
          p = quote + 1;
          break;
        }
        if (need_more) break;
        if (p >= n) {
          if (!eof_) {
            need_more = true;
            break;
          }
          done = true;
        } else if (buf_[p] == ',') {
          ++p;
        } else if (buf_[p] == '\n' || buf_[p] == '\r') {
          done = true;
        } else {
          throw InputError(fmt::format("{}: row {} (line {}): unexpected text after a closing quote",
                                       name_, header ? 0 : row_ + 1, line_ + lines));
        }
      } else {
        // Unquoted field: up to the next separator or end of line.
        std::size_t q = p;
        while (q < n && buf_[q] != ',' && buf_[q] != '\n' && buf_[q] != '\r') ++q;
        if (q >= n && !eof_) {
          need_more = true;
          break;
        }
        fields_.push_back({p, q - p, false});
        if (q < n && buf_[q] == ',') {
          p = q + 1;
          if (p >= n && !eof_) {
            need_more = true;
            break;
          }
          if (p >= n) {  // trailing separator at EOF: one more empty field
            fields_.push_back({p, 0, false});
            done = true;
          }
        } else {
          p = q;
          done = true;
        }
      }
    }
    if (need_more) {
      if (eof_) {
        throw InputError(fmt::format("{}: row {} (line {}): unterminated quoted field", name_,
                                     header ? 0 : row_ + 1, record_line_));
      }
      fill();
      continue;  // rescan the record with more input (or with eof_ now known)
    }
    // Consume the line terminator.
    if (p < n && buf_[p] == '\r') ++p;
    if (p < n && buf_[p] == '\n') {
      ++p;
      ++lines;
    }
    line_ += lines;
    pos_ = p;
    return true;
  }
}

void append_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_record(std::string& out, const std::vector<std::string_view>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    append_field(out, fields[i]);
  }
  out.push_back('\n');
}

}  // namespace emosweep::csv
