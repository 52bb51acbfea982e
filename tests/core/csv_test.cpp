#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/csv.hpp"
#include "core/error.hpp"

namespace emosweep::csv {
namespace {

std::vector<std::vector<std::string>> read_all(std::string data) {
  auto r = Reader::from_string(std::move(data), "t.csv");
  std::vector<std::vector<std::string>> rows;
  while (r.next()) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < r.size(); ++i)
      row.emplace_back(r.field(i));
    rows.push_back(row);
  }
  return rows;
}

TEST(CsvReader, QuotedFieldsWithCommasQuotesAndNewlines) {
  const auto rows = read_all("a,b,c\n1,\"x, y\",\"he said \"\"hi\"\"\nnext\"\n2,,\"\"\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[0][1], "x, y");
  EXPECT_EQ(rows[0][2], "he said \"hi\"\nnext");
  EXPECT_EQ(rows[1][1], "");
  EXPECT_EQ(rows[1][2], "");
}

TEST(CsvReader, CrLfNoTrailingNewlineAndBom) {
  auto r = Reader::from_string("\xEF\xBB\xBFid,v\r\n1,a\r\n2,b", "t.csv");
  EXPECT_EQ(r.header()[0], "id");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(1), "a");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(1), "b");
  EXPECT_EQ(r.row(), 2u);
  EXPECT_FALSE(r.next());
}

TEST(CsvReader, RowAndLineNumbersAcrossMultilineRecords) {
  auto r = Reader::from_string("a,b\n1,\"x\ny\nz\"\n2,w\n", "t.csv");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.row(), 1u);
  EXPECT_EQ(r.line(), 2u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.row(), 2u);
  EXPECT_EQ(r.line(), 5u);
  EXPECT_EQ(r.where(), "t.csv: row 2 (line 5)");
}

TEST(CsvReader, BlankLinesAreSkipped) {
  const auto rows = read_all("a\n\n1\n\n\n2\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], "2");
}

TEST(CsvReader, ErrorsNameFileAndRow) {
  try {
    read_all("a,b\n1,2\n3\n");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.csv: row 2 (line 3): expected 2 fields, found 1");
  }
  try {
    read_all("a,b\n1,\"open\n");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.csv: row 1 (line 2): unterminated quoted field");
  }
  try {
    read_all("a,b\n1,2\n\"x\"y,2\n");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.csv: row 2 (line 3): unexpected text after a closing quote");
  }
}

TEST(CsvReader, MissingColumnIsNamed) {
  auto r = Reader::from_string("a,b\n", "t.csv");
  EXPECT_EQ(r.column("b"), 1u);
  try {
    r.require_column("labels");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.csv: missing column 'labels'");
  }
}

TEST(CsvReader, RecordsLongerThanTheReadChunkFromAFile) {
  // Fields of 3 MiB cross several 1 MiB read chunks, with quotes at the boundaries.
  const auto dir = std::filesystem::temp_directory_path() / "emosweep_csv_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "big.csv").string();
  std::string big(3 << 20, 'x');
  for (std::size_t i = 1; i < big.size(); i += 65537)
    big[i] = '"';
  std::string escaped;
  for (char c : big) {
    if (c == '"') escaped += '"';
    escaped += c;
  }
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,text\n";
    for (int i = 0; i < 3; ++i)
      out << i << ",\"" << escaped << "\"\n";
  }
  Reader r(path);
  int n = 0;
  while (r.next()) {
    EXPECT_EQ(r.field(0), std::to_string(n));
    EXPECT_EQ(r.field(1).size(), big.size());
    EXPECT_TRUE(r.field(1) == big);
    ++n;
  }
  EXPECT_EQ(n, 3);
  std::filesystem::remove_all(dir);
}

TEST(CsvReader, MissingFileIsAnInputError) {
  EXPECT_THROW(Reader("/nonexistent/file.csv"), InputError);
}

TEST(CsvWriter, QuotesOnlyWhenNeededAndRoundTrips) {
  std::string out;
  append_record(out, {"plain", "with, comma", "say \"hi\"", "line\nbreak"});
  EXPECT_EQ(out, "plain,\"with, comma\",\"say \"\"hi\"\"\",\"line\nbreak\"\n");
  const auto rows = read_all("a,b,c,d\n" + out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][2], "say \"hi\"");
  EXPECT_EQ(rows[0][3], "line\nbreak");
}

// Splitting an input between readers: a reader resumed at a real record start and one that
// stops there together read exactly what one reader reads.
TEST(CsvReader, ResumedAndStoppedReadersSplitTheRecordsExactly) {
  std::string data = "id,text,n\n";
  for (int i = 0; i < 40; ++i)
    data +=
        std::to_string(i) + ",\"line one\nline, two \"\"q\"\"\"," + std::to_string(i * 2) + "\n";
  const auto whole = read_all(data);
  auto first = Reader::from_string(data, "t.csv");
  const auto input = first.whole_input();
  ASSERT_TRUE(input.has_value());
  const auto guess = first.guess_record_start(input->size() / 2);
  ASSERT_TRUE(guess.has_value());
  first.stop_at(*guess);
  std::vector<std::vector<std::string>> rows;
  auto take = [&](Reader& r) {
    while (r.next()) {
      std::vector<std::string> row;
      for (std::size_t i = 0; i < r.size(); ++i)
        row.emplace_back(r.field(i));
      rows.push_back(row);
    }
  };
  take(first);
  EXPECT_TRUE(first.stopped_exactly_at(*guess));
  EXPECT_EQ(first.position(), *guess);
  const std::size_t before = rows.size();
  EXPECT_GT(before, 10u);
  auto second = first.resume_at(*guess, before);
  take(second);
  EXPECT_EQ(rows, whole);
  EXPECT_EQ(second.row(), whole.size());  // rows count on from rows_before
}

// The middle of a quoted multi-line field whose lines look like records: the guess may be
// wrong, and then the first reader runs past it instead of stopping exactly there.
TEST(CsvReader, AWrongGuessIsDetectedByTheReaderBeforeIt) {
  std::string data = "a,b,c\n1,\"";
  for (int i = 0; i < 30; ++i)
    data += "p,q,r\n";
  data += "end\",x\n2,y,z\n";
  auto first = Reader::from_string(data, "t.csv");
  const auto guess = first.guess_record_start(20);
  ASSERT_TRUE(guess.has_value());  // "p,q,r" lines parse as records: a plausible guess
  first.stop_at(*guess);
  int n = 0;
  while (first.next())
    ++n;
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(first.stopped_exactly_at(*guess));
  EXPECT_GT(first.position(), *guess);
}

TEST(CsvReader, GuessTriesTheQuotedStateWhenTheUnquotedOneFails) {
  // From inside the long quoted field, "outside quotes" finds a line start whose next line
  // ends in an unterminated quote; the other state finds the real next record.
  std::string data = "a,b\n1,\"x\ny \"\"z\"\"\nw\"\n2,\"k\nl\"\n3,m\n";
  auto r = Reader::from_string(data, "t.csv");
  const auto at = data.find("y ");
  const auto guess = r.guess_record_start(at);
  ASSERT_TRUE(guess.has_value());
  EXPECT_EQ(data.substr(*guess, 2), "2,");
}

TEST(CsvReader, SkippedColumnsAreNotUnescaped) {
  auto r = Reader::from_string("a,b,c\n\"x \"\"y\"\"\",\"k \"\"l\"\"\",3\n", "t.csv");
  r.only_columns({1, 2});
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(0), "");
  EXPECT_EQ(r.field(1), "k \"l\"");
  EXPECT_EQ(r.field(2), "3");
}

}  // namespace
}  // namespace emosweep::csv
