// PyTorch state_dict files without Python: what fineprune writes reads back exactly, and a
// damaged file is refused as bad input (InputError naming it), never read as something else.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <random>
#include <string>

#include "common/error.h"
#include "tests/support/temp_files.h"
#include "workers/models/state_dict_file.h"

namespace fineprune {
namespace {

std::vector<NamedTensor> sample_tensors() {
  torch::manual_seed(3);
  return {{"conv.weight", torch::randn({4, 2, 3, 3})},
          {"bn.num_batches_tracked", torch::tensor(int64_t{7})},
          {"fc.bias", torch::randn({5}, torch::kDouble)},
          {"empty", torch::zeros({0, 3})}};
}

TEST(StateDictFile, WhatIsWrittenReadsBackInOrderAndExactly) {
  test_support::TempDir dir;
  const std::vector<NamedTensor> written = sample_tensors();
  write_state_dict(written, dir.file("m.pt"));
  std::string sha;
  const std::vector<NamedTensor> read = read_state_dict(dir.file("m.pt"), &sha);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].name, written[i].name);
    EXPECT_EQ(read[i].value.scalar_type(), written[i].value.scalar_type()) << read[i].name;
    EXPECT_TRUE(torch::equal(read[i].value, written[i].value)) << read[i].name;
  }
  EXPECT_EQ(sha.size(), 64u);
}

TEST(StateDictFile, NotAStateDictIsBadInputNamingTheFile) {
  test_support::TempDir dir;
  test_support::write_text(dir.file("text.pt"), "hello\n");
  for (const auto& [file, expected] : std::vector<std::pair<std::string, std::string>>{
           {dir.file("text.pt"), "not a zip archive written by torch.save"},
           {dir.file("missing.pt"), "no such file"}}) {
    try {
      read_state_dict(file);
      ADD_FAILURE() << file << " accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// Every damage a file can take (one byte changed anywhere, or the file cut short) either reads
// as exactly what was written (a byte nothing reads, such as the zip's padding) or is refused as
// bad input (the zip's CRC-32 covers every record); nothing else escapes and nothing crashes.
TEST(StateDictFile, DamagedBytesAreRefusedOrHarmless) {
  test_support::TempDir dir;
  const std::vector<NamedTensor> written = sample_tensors();
  write_state_dict(written, dir.file("m.pt"));
  const std::string bytes = test_support::read_bytes(dir.file("m.pt"));
  std::mt19937 rng(11);
  int refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string damaged = bytes;
    size_t at = 0;
    if (trial % 10 == 0) {
      at = rng() % bytes.size();
      damaged.resize(at);
    } else {
      const auto flip = static_cast<char>(1 + rng() % 255);
      at = rng() % bytes.size();
      damaged[at] ^= flip;
    }
    const std::string file = dir.file("d.pt");
    std::ofstream(file, std::ios::binary | std::ios::trunc) << damaged;
    try {
      const std::vector<NamedTensor> read = read_state_dict(file);
      ASSERT_EQ(read.size(), written.size()) << "trial " << trial;
      for (size_t i = 0; i < read.size(); ++i) {
        EXPECT_EQ(read[i].name, written[i].name) << "trial " << trial;
        EXPECT_TRUE(torch::equal(read[i].value, written[i].value)) << "trial " << trial << " byte " << at << " of " << bytes.size() << ": " << read[i].name << " read " << read[i].value << " written " << written[i].value;
      }
    } catch (const InputError& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind(file + ": ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(refused, 200);  // the checks do fire
}

}  // namespace
}  // namespace fineprune
