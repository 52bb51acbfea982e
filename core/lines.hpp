// Streaming line reader for JSONL files: constant memory, 1-based line numbers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace emosweep {

class LineReader {
 public:
  // Throws InputError when `path` cannot be opened.
  explicit LineReader(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its terminator ("\n" or "\r\n"); false at EOF. The view is valid
  // until the next call.
  bool next(std::string_view& line);
  std::size_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  bool fill();
  std::string path_;
  int fd_ = -1;
  std::string buf_;
  std::unique_ptr<char[]> block_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::size_t line_number_ = 0;
};

// Writes `data` to `path` atomically (temporary file, fsync, rename). Throws on failure.
void write_file_atomic(const std::string& path, std::string_view data);
// Reads a whole (small) file; throws InputError naming it when it cannot.
std::string read_file(const std::string& path);

}  // namespace emosweep
