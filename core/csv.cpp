#include "core/csv.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"

namespace emosweep::csv {
namespace {
std::size_t page_size() {
  return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace

namespace {
constexpr std::size_t kChunk = 1 << 20;

// memchr is vectorised by glibc; quoted fields hold few newlines, so this beats a byte loop.
std::size_t count_newlines(const char* begin, const char* end) {
  std::size_t n = 0;
  while (begin < end) {
    const void* hit = std::memchr(begin, '\n', static_cast<std::size_t>(end - begin));
    if (!hit) break;
    ++n;
    begin = static_cast<const char*>(hit) + 1;
  }
  return n;
}
}  // namespace

struct Reader::Source {
  int fd = -1;
  std::string memory;
  std::size_t memory_pos = 0;
  bool from_memory = false;
  // A regular file is mapped rather than read: no copy into user space. Pages behind the
  // reader are released as it goes, so resident memory stays bounded on huge files.
  const char* mapped = nullptr;
  std::size_t mapped_size = 0;

  ~Source() {
    if (mapped) ::munmap(const_cast<char*>(mapped), mapped_size);
    if (fd >= 0) ::close(fd);
  }
  // The whole input as one view when it is in memory or mapped.
  std::optional<std::string_view> whole() const {
    if (from_memory) return std::string_view(memory);
    if (mapped || (fd >= 0 && mapped_size == 0 && is_empty_regular))
      return std::string_view(mapped ? mapped : "", mapped_size);
    return std::nullopt;
  }
  bool is_empty_regular = false;
  void try_map() {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (st.st_size == 0) {
      is_empty_regular = true;
      return;
    }
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return;
    ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
    mapped = static_cast<const char*>(p);
    mapped_size = static_cast<std::size_t>(st.st_size);
  }
  // Drops mapped pages between `released` and `offset` (the reader will not read them again;
  // readers resumed elsewhere in the input keep their own `released`).
  void release_before(std::size_t& released, std::size_t offset, std::size_t step = 64u << 20) {
    if (!mapped || offset < released + step) return;
    const std::size_t page = page_size();
    const std::size_t end = offset / page * page;
    if (end <= released) return;
    ::madvise(const_cast<char*>(mapped) + released, end - released, MADV_DONTNEED);
    released = end;
  }
  // 1-based line number of the byte at `offset`. Line numbers are only needed for error
  // messages, so they are computed on demand instead of on the hot path.
  std::size_t line_at(std::size_t offset) const {
    if (auto all = whole()) {
      const std::size_t end = std::min(offset, all->size());
      return 1 + count_newlines(all->data(), all->data() + end);
    }
    std::size_t lines = 1, done = 0;
    std::string chunk(kChunk, '\0');
    while (done < offset) {
      const ssize_t n =
          ::pread(fd, chunk.data(), std::min(kChunk, offset - done), static_cast<off_t>(done));
      if (n <= 0) break;
      lines += count_newlines(chunk.data(), chunk.data() + n);
      done += static_cast<std::size_t>(n);
    }
    return lines;
  }
  // Appends up to kChunk bytes to out; returns bytes read (0 at EOF).
  std::size_t read_into(std::string& out, const std::string& name) {
    if (from_memory) {
      const std::size_t n = std::min(kChunk, memory.size() - memory_pos);
      out.append(memory, memory_pos, n);
      memory_pos += n;
      return n;
    }
    // Read into a scratch block: resizing the string would zero-fill a megabyte every call.
    if (!block) block.reset(new char[kChunk]);
    ssize_t got;
    do {
      got = ::read(fd, block.get(), kChunk);
    } while (got < 0 && errno == EINTR);
    if (got < 0) throw InputError(fmt::format("{}: read failed: {}", name, std::strerror(errno)));
    out.append(block.get(), static_cast<std::size_t>(got));
    return static_cast<std::size_t>(got);
  }
  std::unique_ptr<char[]> block;
};

Reader::Reader(std::shared_ptr<Source> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {
  if (!read_record(true))
    throw InputError(fmt::format("{}: empty file, expected a header row", name_));
  header_.reserve(fields_.size());
  for (std::size_t i = 0; i < fields_.size(); ++i)
    header_.emplace_back(field(i));
  // A UTF-8 byte order mark is not part of the first column's name.
  if (!header_.empty() && header_[0].starts_with("\xEF\xBB\xBF")) header_[0].erase(0, 3);
  row_ = 0;
}

Reader::Reader(const std::string& path) : Reader(nullptr, path) {}

Reader Reader::from_string(std::string data, std::string name) {
  auto source = std::make_shared<Source>();
  source->from_memory = true;
  source->memory = std::move(data);
  return Reader(std::move(source), std::move(name));
}

Reader::Reader(Reader&& other) noexcept {
  *this = std::move(other);
}

Reader& Reader::operator=(Reader&& other) noexcept {
  source_ = std::move(other.source_);
  name_ = std::move(other.name_);
  buf_ = std::move(other.buf_);
  pos_ = other.pos_;
  eof_ = other.eof_;
  scratch_ = std::move(other.scratch_);
  fields_ = std::move(other.fields_);
  header_ = std::move(other.header_);
  row_ = other.row_;
  buf_offset_ = other.buf_offset_;
  record_offset_ = other.record_offset_;
  released_ = other.released_;
  wanted_ = std::move(other.wanted_);
  stop_ = other.stop_;
  stop_hit_ = other.stop_hit_;
  probing_ = other.probing_;
  // The view points into the source (stable) or into buf_ (which moved).
  const bool whole = source_ && source_->whole().has_value();
  view_ = whole ? other.view_ : std::string_view(buf_);
  return *this;
}
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

void Reader::release_read() {
  if (source_) source_->release_before(released_, buf_offset_ + pos_, 0);
}

void Reader::only_columns(const std::vector<std::size_t>& columns) {
  wanted_.assign(header_.size(), false);
  for (auto c : columns)
    if (c < wanted_.size()) wanted_[c] = true;
}

void Reader::map_ahead(std::size_t from, std::size_t to) const {
#ifdef MADV_POPULATE_READ
  if (!source_ || !source_->mapped) return;
  const auto page = page_size();
  from = from / page * page;
  to = std::min(to, source_->mapped_size);
  if (from < to)  // best effort: kernels before 5.14 refuse it, the faults then come later
    ::madvise(const_cast<char*>(source_->mapped) + from, to - from, MADV_POPULATE_READ);
#else
  (void)from;
  (void)to;
#endif
}

std::optional<std::string_view> Reader::whole_input() {
  return source_ ? source_->whole() : std::nullopt;
}

Reader Reader::resume_at(std::size_t offset, std::size_t rows_before) const {
  const auto all = source_ ? source_->whole() : std::nullopt;
  if (!all) throw std::logic_error("csv::Reader::resume_at needs a mapped or in-memory input");
  Reader r;
  r.source_ = source_;
  r.name_ = name_;
  r.view_ = *all;
  r.eof_ = true;
  r.pos_ = std::min(offset, all->size());
  r.header_ = header_;
  r.row_ = rows_before;
  const auto page = page_size();
  r.released_ = (r.pos_ + page - 1) / page * page;
  r.wanted_ = wanted_;
  return r;
}

std::optional<std::size_t> Reader::guess_record_start(std::size_t from) const {
  const auto all = source_ ? source_->whole() : std::nullopt;
  if (!all || from >= all->size()) return std::nullopt;
  constexpr std::size_t kScan = 1u << 20;  // give up beyond this: records are shorter
  constexpr int kProbe = 8;                // records that must parse from the guess
  const std::size_t end = std::min(all->size(), from + kScan);
  for (const bool quoted : {false, true}) {
    bool inside = quoted;
    std::size_t start = 0;
    for (const char* p = all->data() + from;
         (p = text::find_byte_of(p, all->data() + end, '"', '\n')) != all->data() + end; ++p) {
      if (*p == '"') {
        inside = !inside;
      } else if (!inside) {
        start = static_cast<std::size_t>(p - all->data()) + 1;
        break;
      }
    }
    if (start == 0 || start >= all->size()) continue;
    try {
      Reader probe = resume_at(start, 0);
      probe.wanted_.assign(header_.size(), false);
      probe.probing_ = true;
      int n = 0;
      while (n < kProbe && probe.next())
        ++n;
      return start;
    } catch (const InputError&) {
      // Not a record start under this quote state.
    }
  }
  return std::nullopt;
}

std::string_view Reader::field(std::size_t i) const {
  const Span& s = fields_.at(i);
  return (s.unescaped ? std::string_view(scratch_) : view_).substr(s.offset, s.length);
}

std::size_t Reader::line() const {
  return line_at(record_offset_);
}

std::size_t Reader::line_at(std::size_t offset) const {
  return source_ ? source_->line_at(offset) : 1;
}

std::string Reader::where() const {
  return locate(row_, record_offset_);
}

std::string Reader::locate(std::size_t row, std::size_t offset) const {
  // A probe's errors are expected and discarded: counting lines up to its offset would cost
  // a scan of everything before it.
  if (probing_) return fmt::format("{}: row {}", name_, row);
  return fmt::format("{}: row {} (line {})", name_, row, line_at(offset));
}

bool Reader::fill() {
  if (eof_) return false;
  if (!source_) {
    // Deferred open so that the delegating constructor can report the path.
    source_ = std::make_shared<Source>();
    source_->fd = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (source_->fd < 0)
      throw InputError(fmt::format("{}: cannot open: {}", name_, std::strerror(errno)));
    source_->try_map();
  }
  if (auto all = source_->whole()) {
    view_ = *all;
    eof_ = true;
    return !all->empty();
  }
  // Drop consumed input so that memory stays bounded by the longest record.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    buf_offset_ += pos_;
    pos_ = 0;
  }
  const std::size_t got = source_->read_into(buf_, name_);
  view_ = buf_;
  if (got == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

bool Reader::next() {
  const std::size_t at = buf_offset_ + pos_;
  if (source_) source_->release_before(released_, at);
  if (at >= stop_) {
    stop_hit_ = at == stop_;
    return false;
  }
  if (!read_record(false)) return false;
  ++row_;
  if (fields_.size() != header_.size()) {
    throw InputError(
        fmt::format("{}: expected {} fields, found {}", where(), header_.size(), fields_.size()));
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
      if (pos_ >= view_.size() && !fill()) return false;
      const char c = view_[pos_];
      if (c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
    if (buf_offset_ + pos_ >= stop_) {  // only blank lines between the last record and stop_
      stop_hit_ = true;
      return false;
    }
    fields_.clear();
    scratch_.clear();
    record_offset_ = buf_offset_ + pos_;
    std::size_t p = pos_;
    bool need_more = false;
    bool done = false;
    const std::size_t n = view_.size();
    while (!done) {
      const bool wanted = fields_.size() >= wanted_.size() || wanted_[fields_.size()];
      if (p < n && view_[p] == '"') {
        // Quoted field.
        std::size_t q = p + 1;
        const std::size_t scratch_start = scratch_.size();
        bool escaped = false;
        std::size_t seg_start = q;
        while (true) {
          const void* hit = q < n ? std::memchr(view_.data() + q, '"', n - q) : nullptr;
          if (!hit) {
            need_more = true;
            break;
          }
          const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - view_.data());
          if (quote + 1 >= n && !eof_) {  // cannot tell "" from " yet
            need_more = true;
            break;
          }
          if (quote + 1 < n && view_[quote + 1] == '"') {
            escaped = true;
            if (wanted) scratch_.append(view_, seg_start, quote + 1 - seg_start);
            q = quote + 2;
            seg_start = q;
            continue;
          }
          // Closing quote.
          if (!wanted) {
            scratch_.resize(scratch_start);
            fields_.push_back({0, 0, false});
          } else if (escaped) {
            scratch_.append(view_, seg_start, quote - seg_start);
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
        } else if (view_[p] == ',') {
          ++p;
        } else if (view_[p] == '\n' || view_[p] == '\r') {
          done = true;
        } else {
          throw InputError(fmt::format("{}: unexpected text after a closing quote",
                                       locate(header ? 0 : row_ + 1, buf_offset_ + p)));
        }
      } else {
        // Unquoted field: up to the next separator or end of line.
        const std::size_t q = static_cast<std::size_t>(
            text::find_byte_of(view_.data() + p, view_.data() + n, ',', '\n', '\r') - view_.data());
        if (q >= n && !eof_) {
          need_more = true;
          break;
        }
        // A probe is strict: a quote inside an unquoted field (which this reader otherwise
        // keeps, as Python does) most likely means the probe started inside a quoted field.
        if (probing_ && std::memchr(view_.data() + p, '"', q - p) != nullptr)
          throw InputError(fmt::format("{}: quote in an unquoted field", locate(row_ + 1, p)));
        fields_.push_back({p, q - p, false});
        if (q < n && view_[q] == ',') {
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
        throw InputError(fmt::format("{}: unterminated quoted field",
                                     locate(header ? 0 : row_ + 1, record_offset_)));
      }
      fill();
      continue;  // rescan the record with more input (or with eof_ now known)
    }
    // Consume the line terminator.
    if (p < n && view_[p] == '\r') ++p;
    if (p < n && view_[p] == '\n') ++p;
    pos_ = p;
    return true;
  }
}

void append_field(std::string& out, std::string_view field) {
  const char* p = field.data();
  const char* const end = p + field.size();
  if (text::find_byte_of(p, end, ',', '"', '\r', '\n') == end) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (;;) {  // copy the runs between quotes, each quote doubled
    const char* quote = text::find_byte_of(p, end, '"');
    out.append(p, quote);
    if (quote == end) break;
    out.append("\"\"");
    p = quote + 1;
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
