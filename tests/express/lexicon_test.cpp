#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "express/lexicon.hpp"
#include "tests/support/child.hpp"

namespace emosweep::express {
namespace {

const std::string kHeader =
    "word,anger,anticipation,disgust,fear,joy,sadness,surprise,trust,positive,negative\n";

// The NRC word-level lines for `word` with the given bits (alphabetical emotion order, as
// NRC distributes the file).
std::string nrc_lines(const std::string& word, EmotionVector v) {
  static const char* kAlpha[] = {"anger",    "anticipation", "disgust", "fear",     "joy",
                                 "negative", "positive",     "sadness", "surprise", "trust"};
  std::string out;
  for (const char* e : kAlpha) {
    std::size_t d = 0;
    while (kDimensions[d] != e)
      ++d;
    out += word + "\t" + e + "\t" + (((v >> d) & 1) ? "1" : "0") + "\n";
  }
  return out;
}

TEST(Lexicon, CsvLookupAbsentAndFirstRowWins) {
  const auto lex = Lexicon::from_csv_string(kHeader +
                                            "happy,0.0,0.0,0.0,0.0,1.0,0.0,0.0,1.0,1.0,0.0\n"
                                            "happy,1,1,1,1,1,1,1,1,1,1\n"
                                            "afraid,0,0,0,1,0,0,0,0,0,1\n");
  EXPECT_EQ(lex.size(), 2u);
  EXPECT_EQ(lex.lookup("happy"), (1u << 4) | (1u << 7) | (1u << 8));
  EXPECT_EQ(lex.lookup("afraid"), (1u << 3) | (1u << 9));
  EXPECT_EQ(lex.lookup("Happy"), 0);  // exact match only
  EXPECT_EQ(lex.lookup("zzz"), 0);
  EXPECT_FALSE(lex.contains("zzz"));
}

TEST(Lexicon, WrongHeaderNamesLineOne) {
  try {
    Lexicon::from_csv_string("word,anger\nx,1\n", "lex.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lex.csv: line 1: unexpected lexicon header"),
              std::string::npos)
        << e.what();
  }
}

TEST(Lexicon, NonBinaryValueNamesTheLine) {
  try {
    Lexicon::from_csv_string(kHeader + "a,0,0,0,0,0,0,0,0,0,0\nb,0,0,0.5,0,0,0,0,0,0,0\n",
                             "lex.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "lex.csv: line 3: column 'disgust' is '0.5', expected 0 or 1");
  }
  EXPECT_THROW(Lexicon::from_nrc_string("a\tanger\t2\n", "nrc.txt"), InputError);
  EXPECT_THROW(Lexicon::from_nrc_string("a\tanger\t1.0\n", "nrc.txt"), InputError);
  try {
    Lexicon::from_nrc_string("a\tanger\t1\na\tjoyful\t1\n", "nrc.txt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "nrc.txt: line 2: unknown emotion 'joyful'");
  }
}

// Lexicon::load reads plain files (the authors' shape) without the CSV reader; every other
// file goes through the reader. Both must give the same table and the same errors.
TEST(Lexicon, LoadedFileAgreesWithTheCsvReader) {
  const emosweep::testing::TempDir dir("lexicon");
  const std::vector<std::string> bodies = {
      // the authors' spelling, a duplicate (first row wins), blank lines, no final newline
      "happy,0.0,0.0,0.0,0.0,1.0,0.0,0.0,1.0,1.0,0.0\n\nhappy,1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0,"
      "1.0\nsad,0.0,0.0,0.0,0.0,0.0,1.0,0.0,0.0,0.0,1.0",
      // other spellings on some rows
      "a,1,0,0,0,0,0,0,0,0,1\nb, 1.00 "
      ",0,0,0,0,0,0,0,0,0\nc,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n",
      // quotes and carriage returns: the reader's business
      "\"x,y\",1,0,0,0,0,0,0,0,0,0\r\nz,0,1,0,0,0,0,0,0,0,0\r\n",
      // empty word, spaces kept in words
      ",1,1,1,1,1,1,1,1,1,1\n two words ,0,0,1,0,0,0,0,0,0,0\n"};
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    const auto path = dir / ("lex" + std::to_string(i) + ".csv");
    std::ofstream(path, std::ios::binary) << kHeader << bodies[i];
    const auto loaded = Lexicon::load(path);
    const auto read = Lexicon::from_csv_string(kHeader + bodies[i]);
    EXPECT_EQ(loaded.size(), read.size()) << i;
    for (const std::string word : {"happy", "sad", "a", "b", "c", "x,y", "z", "", " two words "})
      EXPECT_EQ(loaded.lookup(word), read.lookup(word)) << i << " " << word;
  }
  EXPECT_EQ(Lexicon::load(dir / "lex0.csv").lookup("happy"), (1u << 4) | (1u << 7) | (1u << 8));
  // Errors name the same line either way: a bad value after plain rows, a short row.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\nb,0.0,0.0,0.5,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n",
       ": line 3: column 'disgust' is '0.5', expected 0 or 1"},
      {"a,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n\nb,0,1\n",
       ": row 2 (line 4): expected 11 fields, found 3"}};
  for (const auto& [body, message] : bad) {
    const auto path = dir / "bad.csv";
    std::ofstream(path, std::ios::binary) << kHeader << body;
    try {
      Lexicon::load(path);
      ADD_FAILURE() << body;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), path + message);
    }
  }
}

TEST(Lexicon, NrcFirstLineForAPairWins) {
  const auto lex = Lexicon::from_nrc_string("x\tjoy\t1\nx\tjoy\t0\nx\tfear\t1\n");
  EXPECT_EQ(lex.lookup("x"), (1u << 4) | (1u << 3));
}

// The two formats give identical vectors for the same words: convert the real lexicon (or
// the demo one when ../shared is absent) to NRC format and load both from files.
TEST(Lexicon, CsvAndNrcFormatsAgreeOnEveryWord) {
  std::string csv_path =
      std::string(EMOSWEEP_SHARED_DIR) + "/data/express/lexicon-decomposition.csv";
  if (!std::filesystem::exists(csv_path))
    csv_path = std::string(EMOSWEEP_DEMO_DIR) + "/demo-lexicon.csv";
  const auto from_csv = Lexicon::load(csv_path);
  ASSERT_GT(from_csv.size(), 50u);

  // Independent conversion: read the CSV by hand.
  std::ifstream in(csv_path);
  std::string line;
  std::getline(in, line);
  std::string nrc;
  std::vector<std::pair<std::string, EmotionVector>> words;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string word, cell;
    std::getline(ss, word, ',');
    EmotionVector v = 0;
    for (std::size_t d = 0; std::getline(ss, cell, ','); ++d)
      if (std::stod(cell) == 1.0) v |= static_cast<EmotionVector>(1u << d);
    words.emplace_back(word, v);
    nrc += nrc_lines(word, v);
  }
  const emosweep::testing::TempDir dir("lexicon_nrc");
  const auto nrc_path = dir / "nrc.txt";
  std::ofstream(nrc_path) << nrc;
  const auto from_nrc = Lexicon::load(nrc_path);
  EXPECT_EQ(from_nrc.size(), from_csv.size());
  for (const auto& [word, v] : words) {
    ASSERT_EQ(from_nrc.lookup(word), from_csv.lookup(word)) << word;
  }
}

TEST(Lexicon, RealLexiconShape) {
  const std::string path =
      std::string(EMOSWEEP_SHARED_DIR) + "/data/express/lexicon-decomposition.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no ../shared data";
  const auto lex = Lexicon::load(path);
  EXPECT_EQ(lex.size(), 16019u);
  // 'able' is trust + positive in the authors' file.
  EXPECT_EQ(lex.lookup("able"), (1u << 7) | (1u << 8));
  EXPECT_TRUE(lex.contains("ambivalent"));
  EXPECT_EQ(lex.lookup("ambivalent"), 0);
}

}  // namespace
}  // namespace emosweep::express
