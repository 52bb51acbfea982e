#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "express/dataset.hpp"

namespace emosweep::express {
namespace {

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emosweep_dataset_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string error_of(const std::string& path) {
    try {
      read_dataset(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  std::filesystem::path dir_;
};

TEST_F(DatasetTest, CsvWithMultilineSegments) {
  const auto p =
      write("d.csv",
            "index,original_ids,segment,number_of_labels,labels\n"
            "7,abc,\"I was <mask>,\nthen \"\"fine\"\" and <mask>.\",2,\"['sad', \"\"it's\"\"]\"\n"
            "8,abc,<mask>!,1,['happy']\n");
  const auto segs = read_dataset(p);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].index, "7");
  EXPECT_EQ(segs[0].original_ids, "abc");
  EXPECT_EQ(segs[0].text, "I was <mask>,\nthen \"fine\" and <mask>.");
  EXPECT_EQ(segs[0].labels, (std::vector<std::string>{"sad", "it's"}));
  EXPECT_EQ(segs[1].row, 2u);
}

TEST_F(DatasetTest, OptionalIdColumnsDefault) {
  const auto p = write("d.csv", "segment,number_of_labels,labels\n<mask>,1,['joy']\n");
  const auto segs = read_dataset(p);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].index, "1");
  EXPECT_EQ(segs[0].original_ids, "1");
}

TEST_F(DatasetTest, JsonlWithArrayOrLiteralLabels) {
  const auto p =
      write("d.jsonl",
            "{\"index\": 1, \"original_ids\": \"p\", \"segment\": \"a <mask> b <mask>\", "
            "\"number_of_labels\": 2, \"labels\": [\"x\", \"y\"]}\n"
            "\n"
            "{\"segment\": \"<mask>\", \"labels\": \"['z']\"}\n");
  const auto segs = read_dataset(p);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].index, "1");
  EXPECT_EQ(segs[0].labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(segs[1].labels, std::vector<std::string>{"z"});
  EXPECT_EQ(segs[1].index, "2");
}

TEST_F(DatasetTest, ValidationErrorsNameTheRow) {
  const std::string header = "index,original_ids,segment,number_of_labels,labels\n";
  auto p = write("a.csv", header + "1,x,<mask>,1,['a']\n2,x,<mask> <mask>,2,['a']\n");
  EXPECT_EQ(error_of(p), p + ": row 2 (line 3): number_of_labels is 2 but labels has 1 item(s) "
                             "and the segment has 2 <mask>");
  p = write("b.csv", header + "1,x,<mask>,1,['a'\n");
  EXPECT_NE(error_of(p).find(p + ": row 1 (line 2): column 'labels' is not a list of strings"),
            std::string::npos);
  p = write("c.csv", header + "1,x,<mask>,one,['a']\n");
  EXPECT_EQ(error_of(p),
            p + ": row 1 (line 2): column 'number_of_labels' is 'one', expected an integer");
  p = write("d.csv", "index,segment,labels\n1,<mask>,['a']\n");
  EXPECT_EQ(error_of(p), p + ": missing column 'number_of_labels'");
  p = write("e.jsonl", "{\"segment\": \"<mask>\", \"labels\": [1]}\n");
  EXPECT_EQ(error_of(p), p + ": row 1 (line 1): field 'labels' must hold only strings");
  p = write("f.jsonl", "not json\n");
  EXPECT_EQ(error_of(p), p + ": row 1 (line 1): not a JSON object");
  EXPECT_NE(error_of((dir_ / "missing.csv").string()).find("cannot open"), std::string::npos);
}

TEST(Dataset, DemoDatasetReads) {
  const auto segs = read_dataset(std::string(EMOSWEEP_DEMO_DIR) + "/demo-dataset.csv");
  ASSERT_EQ(segs.size(), 36u);
  std::size_t masks = 0;
  for (const auto& s : segs)
    masks += s.labels.size();
  EXPECT_EQ(masks, 43u);
}

}  // namespace
}  // namespace emosweep::express
