// libFuzzer target: the Python list-literal parser and the output cleaning rules must never
// crash, whatever parses must re-parse identically when re-serialised, and the fast path for
// plain lists must agree with the general parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "express/cleaning.hpp"
#include "express/pylist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> items;
  std::string error;
  const bool parsed = emosweep::express::parse_python_list(text, items, &error);
  // The fast path for plain lists must agree with the general parser on every input.
  std::vector<std::string> full;
  if (emosweep::express::detail::parse_python_list_full(text, full) != parsed ||
      (parsed && full != items))
    __builtin_trap();
  if (parsed) {
    // Round trip through a double-quoted literal with every byte escaped as \xNN or \uNNNN
    // would need UTF-8 decoding; use a raw-safe form: octal escapes for every byte.
    std::string literal = "[";
    for (const auto& item : items) {
      literal += '"';
      for (unsigned char c : item) {
        if (c < 0x80 && c != '"' && c != '\\' && c >= 0x20) {
          literal.push_back(static_cast<char>(c));
        } else if (c < 0x80) {
          static const char* kOct = "01234567";
          literal += '\\';
          literal.push_back(kOct[(c >> 6) & 7]);
          literal.push_back(kOct[(c >> 3) & 7]);
          literal.push_back(kOct[c & 7]);
        } else {
          literal.push_back(static_cast<char>(c));  // UTF-8 bytes pass through unchanged
        }
      }
      literal += "\",";
    }
    literal += "]";
    std::vector<std::string> again;
    if (!emosweep::express::parse_python_list(literal, again) || again != items) __builtin_trap();
  } else if (!items.empty() || error.empty()) {
    __builtin_trap();
  }
  std::vector<std::string> words;
  for (auto mode : {emosweep::express::ParseMode::paper, emosweep::express::ParseMode::lenient}) {
    const auto status = emosweep::express::clean_output(text, 2, mode, words);
    if (status == emosweep::express::CleanStatus::valid && words.size() != 2) __builtin_trap();
  }
  return 0;
}
