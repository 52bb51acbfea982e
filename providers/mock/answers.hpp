// What the mock provider answers: an answers file lookup, else a deterministic
// pseudo-prediction shaped like a model's answer to the EXPRESS prompt. Pure functions and an
// immutable table: thread-safe after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/hash.hpp"

namespace emosweep::providers::mock {

// Unicode code points in `text` (UTF-8; stray continuation bytes are not counted).
std::uint64_t count_code_points(std::string_view text);
// The token approximation used for usage and rate limits: ceil(code points / 4), at least 1.
std::uint64_t approx_tokens(std::uint64_t code_points);
inline std::uint64_t approx_tokens(std::string_view text) {
  return approx_tokens(count_code_points(text));
}

// Occurrences of "<mask>" in `prompt`; when a line starts with "Text:", only those after the
// last such line's "Text:" count (so instructions and few-shot examples are ignored).
std::size_t count_masks(std::string_view prompt);

// The built-in emotion vocabulary of the pseudo-predictions (80 common words).
std::span<const std::string_view> emotion_words();

// The identity of a request: SHA-256 of model + '\n' + last user message (the key of the
// per-prompt counts in /stats).
hash::Sha256 prompt_key(std::string_view model, std::string_view prompt);
// Its first 8 bytes, big-endian: what the pseudo-predictions are drawn from.
std::uint64_t prompt_key_prefix(const hash::Sha256& key);

// `['w1', 'w2']` with one word per mask of `prompt` (count_masks), each chosen by a stable
// hash of (model, prompt, mask index, seed). Same inputs, same answer, on every machine.
std::string pseudo_prediction(std::string_view model, std::string_view prompt, std::uint64_t seed);
// The same from the parts the server has already computed.
std::string pseudo_prediction(std::uint64_t key_prefix, std::size_t masks, std::uint64_t seed);

// The answers file: JSONL lines {"prompt": exact last user message, "answer": text} or
// {"segment": text contained in the last user message, "answer": text}, each with an optional
// "model" restricting it to one model. Lookup order: an exact prompt entry (model-specific
// before generic, then first in the file); else the segment entry whose match starts last in
// the prompt (the target after any few-shot examples), then the longest, then model-specific,
// then first in the file.
class AnswerBook {
 public:
  AnswerBook() = default;
  // Throws InputError naming the file and line on unreadable files or bad lines.
  static AnswerBook load(const std::string& path);
  // Builds from JSONL text (for tests); `name` is used in errors.
  static AnswerBook parse(std::string_view jsonl, const std::string& name);

  // The answer for (model, last user message) or nullptr. Lookup allocates nothing.
  const std::string* find(std::string_view model, std::string_view prompt) const;
  std::size_t size() const { return prompts_count_ + segments_.size(); }

 private:
  struct Entry {
    std::string model;  // empty: any model
    std::string answer;
  };
  struct Segment {
    std::string text;
    Entry entry;
  };
  static constexpr std::size_t kWindow = 32;  // bytes hashed per segment prefix
  static constexpr std::size_t kFilterBits = 1u << 16;

  void add_segment(std::string text, Entry entry);
  const std::string* find_segment(std::string_view model, std::string_view prompt) const;

  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<Entry>, TransparentHash, std::equal_to<>> prompts_;
  std::size_t prompts_count_ = 0;
  std::vector<Segment> segments_;
  // Segments of kWindow bytes or more, by the rolling hash of their first kWindow bytes, and
  // a bit filter on that hash that rejects most prompt positions with one memory access.
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_prefix_;
  std::vector<std::uint64_t> filter_;
  std::vector<std::size_t> short_segments_;  // shorter than kWindow: found with find()
};

}  // namespace emosweep::providers::mock
