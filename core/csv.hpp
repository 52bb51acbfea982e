// RFC 4180 CSV: a streaming reader (constant memory, row and line numbers kept for errors)
// and a minimal writer. Quoted fields may hold commas, doubled quotes and newlines.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::csv {

// Reads a CSV file with a header row, one record at a time.
// Not thread-safe; views returned by field() are valid until the next call to next().
class Reader {
 public:
  // Opens `path`; throws InputError when it cannot be read or has no header.
  explicit Reader(const std::string& path);
  // Reads from memory; `name` is used in error messages.
  static Reader from_string(std::string data, std::string name);

  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  ~Reader();

  const std::vector<std::string>& header() const { return header_; }
  std::optional<std::size_t> column(std::string_view name) const;
  // Like column() but throws InputError naming the file and the missing column.
  std::size_t require_column(std::string_view name) const;

  // Advances to the next record; false at end of file. Throws InputError (naming the file,
  // row and line) on an unterminated quote, text after a closing quote, or a record whose
  // field count differs from the header's. Blank lines are skipped.
  bool next();

  std::size_t size() const { return fields_.size(); }
  std::string_view field(std::size_t i) const;
  // 1-based data row (the header is row 0) and 1-based physical line where it starts.
  std::size_t row() const { return row_; }
  // Computed on demand (it rescans the input up to the record): meant for error messages.
  std::size_t line() const;
  // Byte offset of the current record in the input, and the line of any offset already read
  // (for reporting a record after the reader has moved on). Thread-safe with next().
  std::size_t offset() const { return record_offset_; }
  std::size_t line_at(std::size_t offset) const;
  const std::string& name() const { return name_; }
  // "file: row R (line L)" for error messages about the current record.
  std::string where() const;

  // Reads only these columns: the others are skipped without unescaping (their field() is
  // empty). Saves copying long text columns that the caller never looks at.
  void only_columns(const std::vector<std::size_t>& columns);

  // Splitting a mapped or in-memory input between threads. whole_input() is the input as one
  // view (nullopt for pipes). resume_at() is a reader over the same input that starts at
  // `offset`, taken to be a record start, with this header; its rows count on from
  // `rows_before`. stop_at() makes next() return false at the first record boundary at or
  // after `offset`; stopped_exactly_at() then tells whether that boundary was `offset` itself
  // (blank lines aside), which proves that a reader resumed there parses the same records.
  std::optional<std::string_view> whole_input();
  Reader resume_at(std::size_t offset, std::size_t rows_before) const;
  void stop_at(std::size_t offset) { stop_ = offset; }
  bool stopped_exactly_at(std::size_t offset) const { return stop_hit_ && stop_ == offset; }
  // Where the reader is: the start of the next record (or of blank lines before it).
  std::size_t position() const { return buf_offset_ + pos_; }
  // Drops the mapped pages already read (done every 64 MB anyway): a reader that ends a part
  // of the input gives its pages back in parallel instead of leaving it all to the unmapping.
  void release_read();
  // Maps the input's pages in [from, to) now, when it is a mapped file: a thread that has to
  // wait for something else pays the page faults of its part ahead (no effect otherwise).
  void map_ahead(std::size_t from, std::size_t to) const;
  // A likely record start at or after `from` (for splitting): the first line start past
  // `from`, under either quote state at `from`, from which a few records parse with the
  // header's field count. Only a guess; stop_at()/stopped_exactly_at() confirm it.
  std::optional<std::size_t> guess_record_start(std::size_t from) const;

 private:
  struct Source;
  struct Span {
    std::size_t offset;
    std::size_t length;
    bool unescaped;  // lives in scratch_ rather than buf_
  };
  Reader(std::shared_ptr<Source> source, std::string name);
  Reader() = default;
  bool read_record(bool header);
  std::string locate(std::size_t row, std::size_t offset) const;  // "file: row R (line L)"
  bool fill();  // appends more input to buf_; false at EOF

  std::shared_ptr<Source> source_;  // shared by readers resumed on the same input
  std::string name_;
  std::string buf_;        // streamed input (pipes); unused when mapped or in memory
  std::string_view view_;  // what the parser reads: buf_, the mapping, or the memory
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::string scratch_;
  std::vector<Span> fields_;
  std::vector<std::string> header_;
  std::size_t row_ = 0;
  std::size_t buf_offset_ = 0;     // absolute input offset of buf_[0]
  std::size_t record_offset_ = 0;  // absolute input offset of the current record
  std::size_t released_ = 0;       // mapped pages before this offset were dropped
  std::vector<bool> wanted_;       // empty: every column
  std::size_t stop_ = static_cast<std::size_t>(-1);
  bool stop_hit_ = false;
  bool probing_ = false;  // errors are expected: they skip the line count
};

// Appends one CSV field, quoted only when needed (separator, quote, CR or LF inside).
void append_field(std::string& out, std::string_view field);
// Appends a whole record terminated by '\n'.
void append_record(std::string& out, const std::vector<std::string_view>& fields);

}  // namespace emosweep::csv
