// Streaming reader for EXPRESS datasets: CSV (columns index, original_ids, segment,
// number_of_labels, labels) or JSONL with the same fields. Constant memory; each segment is
// validated (number_of_labels == len(labels) == number of <mask> tokens) and errors name
// the file and row.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::express {

inline constexpr std::string_view kMaskToken = "<mask>";

struct Segment {
  std::size_t row = 0;              // 1-based data row (CSV record or JSONL line)
  std::string index;                // the dataset's own id (the row number when absent)
  std::string original_ids;         // the post the segment comes from (index when absent)
  std::string text;                 // with <mask> tokens
  std::vector<std::string> labels;  // gold words, in mask order
};

std::size_t count_masks(std::string_view text);

class DatasetReader {
 public:
  // Format from the extension: .jsonl/.ndjson/.json is JSONL, anything else CSV.
  // Throws InputError when the file cannot be opened or a required column is missing.
  explicit DatasetReader(const std::string& path);
  ~DatasetReader();
  DatasetReader(DatasetReader&&) noexcept;
  DatasetReader& operator=(DatasetReader&&) noexcept;

  // Next valid segment; false at end. Throws InputError naming file and row.
  bool next(Segment& out);
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

// Reads a whole dataset (for small files and tests).
std::vector<Segment> read_dataset(const std::string& path);

}  // namespace emosweep::express
