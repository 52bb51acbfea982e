#include "express/lexicon.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/lines.hpp"
#include "core/text.hpp"

namespace emosweep::express {
namespace {

std::optional<std::size_t> dimension_index(std::string_view name) {
  for (std::size_t d = 0; d < kDimensionCount; ++d)
    if (kDimensions[d] == name) return d;
  return std::nullopt;
}

// Accepts the binary spellings found in lexicon files: 0, 1, 0.0, 1.0 (and 0.00… forms).
std::optional<bool> parse_binary(std::string_view v) {
  // The authors' file spells every value 0.0 or 1.0: decide those without stripping.
  if (v.size() == 3 && v[1] == '.' && v[2] == '0' && (v[0] == '0' || v[0] == '1'))
    return v[0] == '1';
  v = text::python_strip(v);
  if (v.empty()) return std::nullopt;
  const char lead = v.front();
  if (lead != '0' && lead != '1') return std::nullopt;
  std::string_view rest = v.substr(1);
  if (!rest.empty()) {
    if (rest.front() != '.') return std::nullopt;
    rest.remove_prefix(1);
    for (char c : rest)
      if (c != '0') return std::nullopt;
  }
  return lead == '1';
}

// Whether `rest` is one of the authors' value columns: ",0.0" or ",1.0" ten times. Sets `v`.
bool authors_values(std::string_view rest, EmotionVector& v) {
  if (rest.size() != kDimensionCount * 4) return false;
  v = 0;
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    const char* f = rest.data() + d * 4;
    if (f[0] != ',' || f[2] != '.' || f[3] != '0' || (f[1] != '0' && f[1] != '1')) return false;
    if (f[1] == '1') v |= static_cast<EmotionVector>(1u << d);
  }
  return true;
}

// The rows after the header when they are plain (no quotes, no carriage returns: one record
// per line, a split on commas is the CSV parse). Returns false, having added nothing, at the
// first row that is not simple or not valid: the CSV reader then reads the file and reports
// the exact error. Saves most of the lexicon's loading time, which every `score` pays.
template <typename Add>
bool load_plain_rows(std::string_view rows, std::size_t lines, Add&& add) {
  if (std::memchr(rows.data(), '"', rows.size()) || std::memchr(rows.data(), '\r', rows.size()))
    return false;
  std::vector<std::pair<std::string_view, EmotionVector>> parsed;
  parsed.reserve(lines);
  while (!rows.empty()) {
    const std::size_t eol = std::min(rows.find('\n'), rows.size());
    const std::string_view line = rows.substr(0, eol);
    rows.remove_prefix(std::min(eol + 1, rows.size()));
    if (line.empty()) continue;  // blank lines are skipped, as the reader does
    const std::size_t comma = line.find(',');
    if (comma == std::string_view::npos) return false;
    EmotionVector v = 0;
    if (!authors_values(line.substr(comma), v)) {
      // Other spellings (0, 1, 0.00, spaces): field by field, as the reader would split them.
      const auto fields = text::split(line, ',');
      if (fields.size() != kDimensionCount + 1) return false;
      for (std::size_t d = 0; d < kDimensionCount; ++d) {
        const auto bit = parse_binary(fields[d + 1]);
        if (!bit) return false;
        if (*bit) v |= static_cast<EmotionVector>(1u << d);
      }
    }
    parsed.emplace_back(line.substr(0, comma), v);
  }
  for (const auto& [word, v] : parsed)
    add(word, v);
  return true;
}

void check_csv_header(const csv::Reader& reader) {
  const auto& header = reader.header();
  bool header_ok = header.size() == kDimensionCount + 1 && header[0] == "word";
  for (std::size_t d = 0; header_ok && d < kDimensionCount; ++d)
    header_ok = header[d + 1] == kDimensions[d];
  if (!header_ok) {
    std::string expected = "word";
    for (auto d : kDimensions)
      expected += fmt::format(",{}", d);
    throw InputError(fmt::format("{}: line 1: unexpected lexicon header (expected '{}')",
                                 reader.name(), expected));
  }
}

// The rows after a checked header, through the CSV reader.
template <typename Add>
void load_csv_rows(csv::Reader& reader, Add&& add) {
  while (reader.next()) {
    EmotionVector v = 0;
    for (std::size_t d = 0; d < kDimensionCount; ++d) {
      const auto bit = parse_binary(reader.field(d + 1));
      if (!bit) {
        throw InputError(fmt::format("{}: line {}: column '{}' is '{}', expected 0 or 1",
                                     reader.name(), reader.line(), kDimensions[d],
                                     reader.field(d + 1)));
      }
      if (*bit) v |= static_cast<EmotionVector>(1u << d);
    }
    add(reader.field(0), v);
  }
}

}  // namespace

bool Lexicon::insert(std::string_view word, EmotionVector v) {
  return words_.try_emplace(std::string(word), v).second;
}

Lexicon Lexicon::from_csv_string(std::string data, std::string name) {
  auto reader = csv::Reader::from_string(std::move(data), std::move(name));
  Lexicon lex;
  check_csv_header(reader);
  load_csv_rows(reader, [&](std::string_view w, EmotionVector v) { return lex.insert(w, v); });
  return lex;
}

namespace {

// NRC EmoLex word level. Each (word, emotion) line sets one bit; the first line for a
// (word, emotion) pair wins. Returns the vectors through `emit` in file order of first sight.
class NrcParser {
 public:
  explicit NrcParser(std::string name) : name_(std::move(name)) {}

  void line(std::string_view text, std::size_t number) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return;
    const auto parts = text::split(text, '\t');
    if (parts.size() != 3) {
      throw InputError(
          fmt::format("{}: line {}: expected word<TAB>emotion<TAB>0|1", name_, number));
    }
    const auto d = dimension_index(parts[1]);
    if (!d) {
      throw InputError(fmt::format("{}: line {}: unknown emotion '{}'", name_, number, parts[1]));
    }
    const auto bit = parse_binary(parts[2]);
    if (!bit || parts[2].find('.') != std::string_view::npos) {
      throw InputError(
          fmt::format("{}: line {}: value is '{}', expected 0 or 1", name_, number, parts[2]));
    }
    auto [it, inserted] = entries_.try_emplace(std::string(parts[0]), Entry{});
    if (inserted) order_.push_back(it->first);
    Entry& e = it->second;
    const auto mask = static_cast<std::uint16_t>(1u << *d);
    if (e.seen & mask) return;  // first line wins
    e.seen |= mask;
    if (*bit) e.vector |= mask;
  }

  template <typename Emit>
  void finish(Emit&& emit) {
    for (const auto& w : order_)
      emit(w, entries_.at(w).vector);
  }

 private:
  struct Entry {
    std::uint16_t seen = 0;
    EmotionVector vector = 0;
  };
  std::string name_;
  boost::unordered_flat_map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

}  // namespace

Lexicon Lexicon::from_nrc_string(std::string_view data, std::string name) {
  NrcParser parser(std::move(name));
  std::size_t number = 0;
  for (std::string_view line : text::split(data, '\n'))
    parser.line(line, ++number);
  Lexicon lex;
  parser.finish([&](const std::string& w, EmotionVector v) { lex.insert(w, v); });
  return lex;
}

Lexicon Lexicon::load(const std::string& path) {
  // Decide the format from the first line.
  std::string first;
  {
    // Only the first line: a LineReader would read (and copy) a whole megabyte.
    if (std::error_code ec; std::filesystem::is_directory(path, ec))
      throw InputError(fmt::format("{}: is a directory, not a lexicon file", path));
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    if (!std::getline(probe, first) && first.empty())
      throw InputError(fmt::format("{}: line 1: empty lexicon", path));
  }
  Lexicon lex;
  if (first.find('\t') != std::string::npos) {
    NrcParser parser(path);
    LineReader lines(path);
    std::string_view line;
    while (lines.next(line))
      parser.line(line, lines.line_number());
    parser.finish([&](const std::string& w, EmotionVector v) { lex.insert(w, v); });
  } else {
    csv::Reader reader(path);
    const auto add = [&](std::string_view w, EmotionVector v) { return lex.insert(w, v); };
    check_csv_header(reader);
    const auto all = reader.whole_input();
    // One word per line: sizing the table up front saves rehashing it while it grows.
    const auto lines =
        all ? static_cast<std::size_t>(std::count(all->begin(), all->end(), '\n')) : 0;
    lex.words_.reserve(lines);
    if (!all || !load_plain_rows(all->substr(std::min(reader.position(), all->size())), lines, add))
      load_csv_rows(reader, add);
  }
  if (lex.size() == 0) throw InputError(fmt::format("{}: the lexicon has no words", path));
  return lex;
}

}  // namespace emosweep::express
