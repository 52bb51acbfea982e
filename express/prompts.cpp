#include "express/prompts.hpp"

#include <fmt/format.h>

#include "express/dataset.hpp"

namespace emosweep::express {

std::string example_format(std::size_t num_labels) {
  std::string out;
  for (std::size_t i = 1; i <= num_labels; ++i) {
    if (i > 1) out += ", ";
    out += fmt::format("'insert emotion word for mask {}'", i);
  }
  return out;
}

std::string python_list_repr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    const std::string& s = items[i];
    // Python prefers single quotes unless the text has a ' and no ".
    const bool has_single = s.find('\'') != std::string::npos;
    const bool has_double = s.find('"') != std::string::npos;
    const char q = has_single && !has_double ? '"' : '\'';
    out.push_back(q);
    for (unsigned char c : s) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == static_cast<unsigned char>(q)) {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        out += fmt::format("\\x{:02x}", c);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back(q);
  }
  return out + "]";
}

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// Fills the instruction placeholders; the segment goes in last so that braces inside user text
// are never interpreted.
std::string fill(std::string_view tmpl, std::size_t num_labels) {
  std::string out(tmpl);
  replace_all(out, "{num_labels}", std::to_string(num_labels));
  replace_all(out, "{example_format}", example_format(num_labels));
  return out;
}

std::string put_segment(std::string prompt, std::string_view segment) {
  const std::size_t at = prompt.find("{segment}");
  prompt.replace(at, 9, segment);
  return prompt;
}

}  // namespace

std::string render_zero_shot(std::string_view segment, std::size_t num_labels) {
  return put_segment(fill(kZeroShotTemplate, num_labels), segment);
}

std::string render_chain_of_thought(std::string_view segment, std::size_t num_labels) {
  return put_segment(fill(kChainOfThoughtTemplate, num_labels), segment);
}

std::string render_few_shot(std::string_view segment, std::size_t num_labels,
                            const std::vector<Example>& examples) {
  std::string out = fill(kFewShotHeader, num_labels);
  for (const auto& ex : examples) {
    out += "\nText:\n";
    out.append(ex.segment);
    out += "\n\nAnswer:\n";
    out += python_list_repr(*ex.labels);
    out += "\n";
  }
  out += "\nNow the text to answer.\n\nText:\n";
  out.append(segment);
  out += "\n\nAnswer:";
  return out;
}

std::string trim_context(std::string_view segment, std::size_t max_words) {
  if (max_words == 0) return std::string(segment);
  struct Word {
    std::size_t begin, end;
    bool mask;
  };
  std::vector<Word> words;
  for (std::size_t i = 0; i < segment.size();) {
    while (i < segment.size() && std::isspace(static_cast<unsigned char>(segment[i])))
      ++i;
    if (i >= segment.size()) break;
    const std::size_t b = i;
    while (i < segment.size() && !std::isspace(static_cast<unsigned char>(segment[i])))
      ++i;
    const std::string_view w = segment.substr(b, i - b);
    words.push_back({b, i, w.find(kMaskToken) != std::string_view::npos});
  }
  if (words.size() <= max_words) return std::string(segment);
  std::vector<bool> keep(words.size(), false);
  std::vector<std::pair<std::size_t, std::size_t>> windows;  // [lo, hi] per mask
  std::size_t kept = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].mask) {
      keep[i] = true;
      ++kept;
      windows.emplace_back(i, i);
    }
  }
  // Grow every window by one word on each side in turn (left first) until the budget is used.
  bool grew = true;
  while (kept < max_words && grew) {
    grew = false;
    for (auto& [lo, hi] : windows) {
      for (int side = 0; side < 2 && kept < max_words; ++side) {
        if (side == 0 && lo > 0) {
          --lo;
          if (!keep[lo]) {
            keep[lo] = true;
            ++kept;
          }
          grew = true;
        } else if (side == 1 && hi + 1 < words.size()) {
          ++hi;
          if (!keep[hi]) {
            keep[hi] = true;
            ++kept;
          }
          grew = true;
        }
      }
    }
  }
  // Emit kept runs with their original spacing; gaps become " ... ".
  std::string out;
  std::size_t i = 0;
  bool first_run = true;
  while (i < words.size()) {
    if (!keep[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < words.size() && keep[j + 1])
      ++j;
    if (!first_run || i > 0) out += first_run ? "... " : " ... ";
    out.append(segment.substr(words[i].begin, words[j].end - words[i].begin));
    first_run = false;
    i = j + 1;
  }
  if (!keep.back()) out += " ...";
  return out;
}

}  // namespace emosweep::express
