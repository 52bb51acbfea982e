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

 private:
  struct Source;
  struct Span {
    std::size_t offset;
    std::size_t length;
    bool unescaped;  // lives in scratch_ rather than buf_
  };
  Reader(std::unique_ptr<Source> source, std::string name);
  bool read_record(bool header);
  bool fill();  // appends more input to buf_; false at EOF

  std::unique_ptr<Source> source_;
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
};

// Appends one CSV field, quoted only when needed (separator, quote, CR or LF inside).
void append_field(std::string& out, std::string_view field);
// Appends a whole record terminated by '\n'.
void append_record(std::string& out, const std::vector<std::string_view>& fields);

}  // namespace emosweep::csv
