#include "express/cleaning.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "express/pylist.hpp"

namespace emosweep::express {
namespace {

constexpr std::string_view kInvalidOutput = "invalid output";

bool has_quote(std::string_view s) {
  return text::find_byte_of(s.data(), s.data() + s.size(), '\'', '"') != s.data() + s.size();
}

// The paper's rules, on the raw text. Returns false when the output is unusable. Words are
// views into `raw`, or into `storage` for list items that needed unescaping.
bool clean_paper(std::string_view raw, std::vector<std::string_view>& words,
                 std::vector<std::string>& storage) {
  words.clear();
  if (raw.size() >= 2 && raw.front() == '[' && raw.back() == ']') {
    if (has_quote(raw)) return parse_python_list(raw, words, storage);
    // No quotes: Python's raw.strip('[]').split(','), each piece stripped, empties dropped.
    std::size_t b = 0, e = raw.size();
    while (b < e && (raw[b] == '[' || raw[b] == ']'))
      ++b;
    while (e > b && (raw[e - 1] == '[' || raw[e - 1] == ']'))
      --e;
    for (std::string_view piece : text::split(raw.substr(b, e - b), ',')) {
      piece = text::python_strip(piece);
      if (!piece.empty()) words.push_back(piece);
    }
    return true;
  }
  // "[" alone both starts and ends with a bracket but is shorter than 2; Python's
  // startswith/endswith accept it, so handle it the same way: strip -> nothing -> [].
  if (raw == "[") return true;
  if (raw.find('[') == std::string_view::npos && text::python_lower(raw) != kInvalidOutput) {
    words.push_back(text::python_strip(raw));
    return true;
  }
  return false;
}

// Chain-of-thought outputs: the list that ends last in the text and parses under the paper
// rules. Candidates are bounded so that adversarial inputs stay linear-ish.
bool clean_lenient(std::string_view raw, std::vector<std::string_view>& words,
                   std::vector<std::string>& storage) {
  const std::string_view stripped = text::python_strip(raw);
  if (clean_paper(stripped, words, storage)) return true;
  constexpr int kMaxClosers = 64;
  constexpr int kMaxOpeners = 64;
  int closers = 0;
  for (std::size_t close = stripped.rfind(']');
       close != std::string_view::npos && closers < kMaxClosers;
       close = close == 0 ? std::string_view::npos : stripped.rfind(']', close - 1), ++closers) {
    int openers = 0;
    for (std::size_t open = close == 0 ? std::string_view::npos : stripped.rfind('[', close - 1);
         open != std::string_view::npos && openers < kMaxOpeners;
         open = open == 0 ? std::string_view::npos : stripped.rfind('[', open - 1), ++openers) {
      if (clean_paper(stripped.substr(open, close - open + 1), words, storage)) return true;
    }
  }
  words.clear();
  return false;
}

void lower_all(std::vector<std::string>& words) {
  for (auto& w : words)
    if (!text::is_lower_ascii(w)) w = text::python_lower(w);
}

}  // namespace

ParseMode parse_mode_from_string(std::string_view name) {
  if (name == "paper") return ParseMode::paper;
  if (name == "lenient") return ParseMode::lenient;
  throw InputError(fmt::format("unknown parse mode '{}' (expected paper or lenient)", name));
}

std::string_view to_string(ParseMode mode) {
  return mode == ParseMode::paper ? "paper" : "lenient";
}

CleanStatus clean_output_views(std::string_view raw, std::size_t expected, ParseMode mode,
                               std::vector<std::string_view>& words,
                               std::vector<std::string>& storage) {
  const bool ok = mode == ParseMode::paper ? clean_paper(raw, words, storage)
                                           : clean_lenient(raw, words, storage);
  if (!ok) {
    words.clear();
    return CleanStatus::unparsable;
  }
  return words.size() == expected ? CleanStatus::valid : CleanStatus::wrong_length;
}

CleanStatus clean_formatted_views(std::string_view formatted, std::size_t expected,
                                  std::vector<std::string_view>& words,
                                  std::vector<std::string>& storage) {
  words.clear();
  const std::string_view s = text::python_strip(formatted);
  if (text::iequals_ascii(s, kInvalidOutput) || !parse_python_list(s, words, storage)) {
    words.clear();
    return CleanStatus::unparsable;
  }
  return words.size() == expected ? CleanStatus::valid : CleanStatus::wrong_length;
}

void lower_views(std::vector<std::string_view>& words, std::vector<std::string>& lowered) {
  lowered.clear();
  for (auto& w : words) {
    if (text::is_lower_ascii(w)) continue;
    if (lowered.empty()) lowered.reserve(words.size());  // no reallocation: views stay valid
    w = lowered.emplace_back(text::python_lower(w));
  }
}

namespace {
// The string API on top of the view-based one: clean, lower-case, copy.
template <typename Clean>
CleanStatus clean_into_strings(std::vector<std::string>& words, Clean&& clean) {
  std::vector<std::string_view> views;
  std::vector<std::string> storage, lowered;
  const CleanStatus status = clean(views, storage);
  lower_views(views, lowered);
  words.assign(views.begin(), views.end());
  return status;
}
}  // namespace

CleanStatus clean_output(std::string_view raw, std::size_t expected, ParseMode mode,
                         std::vector<std::string>& words) {
  return clean_into_strings(words, [&](auto& views, auto& storage) {
    return clean_output_views(raw, expected, mode, views, storage);
  });
}

CleanStatus clean_formatted(std::string_view formatted, std::size_t expected,
                            std::vector<std::string>& words) {
  return clean_into_strings(words, [&](auto& views, auto& storage) {
    return clean_formatted_views(formatted, expected, views, storage);
  });
}

CleanStatus clean_words(std::vector<std::string>& words, std::size_t expected) {
  lower_all(words);
  return words.size() == expected ? CleanStatus::valid : CleanStatus::wrong_length;
}

}  // namespace emosweep::express
