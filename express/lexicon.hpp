// The emotion decomposition lexicon: every word maps to a 10-dimensional binary vector
// (eight basic emotions and two sentiments). Lookups are exact; absent words are all zeros.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/hash.hpp"

namespace emosweep::express {

// Bit d is set when dimension kDimensions[d] is present.
using EmotionVector = std::uint16_t;
inline constexpr std::size_t kDimensionCount = 10;
inline constexpr std::array<std::string_view, kDimensionCount> kDimensions = {
    "anger",   "anticipation", "disgust", "fear",     "joy",
    "sadness", "surprise",     "trust",   "positive", "negative"};

// Immutable after loading: safe to share between threads for concurrent lookups.
class Lexicon {
 public:
  Lexicon() = default;

  // Loads either format, recognised from the first line:
  //  * the EXPRESS authors' CSV: header `word,anger,...,negative`, values 0/1 (or 0.0/1.0);
  //  * NRC EmoLex word level: `word<TAB>emotion<TAB>0|1`, one line per word and emotion.
  // The first row for a word (or for a word and emotion) wins. Throws InputError naming the
  // file and line for a wrong header, an unknown emotion or a non-binary value.
  static Lexicon load(const std::string& path);
  static Lexicon from_csv_string(std::string data, std::string name = "<memory>");
  static Lexicon from_nrc_string(std::string_view data, std::string name = "<memory>");

  EmotionVector lookup(std::string_view word) const {
    auto it = words_.find(word);
    return it == words_.end() ? EmotionVector{0} : it->second;
  }
  bool contains(std::string_view word) const { return words_.find(word) != words_.end(); }
  std::size_t size() const { return words_.size(); }

 private:
  // Returns false when the word was already present (the first row wins).
  bool insert(std::string_view word, EmotionVector v);

  boost::unordered_flat_map<std::string, EmotionVector, hash::TableHash, hash::TableEqual> words_;
};

}  // namespace emosweep::express
