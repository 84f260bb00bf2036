// Tests of checkpoints: save/load round trip (parameters, statistics, prune mask), atomic save,
// and IoError naming the file for missing, garbage and mismatched checkpoints.
#include <gtest/gtest.h>

#include "tests/support/temp_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "model_cases.h"
#include "workers/models/checkpoint.h"

namespace fineprune {
namespace {

namespace fs = std::filesystem;
using test::ModelCase;

using test_support::TempDir;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs f, expecting an IoError whose message names `path`.
template <typename F>
void expect_io_error_naming(F f, const std::string& path) {
  try {
    f();
    ADD_FAILURE() << "no IoError for " << path;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

void expect_same_state(PrunableNet& a, PrunableNet& b) {
  auto pb = b.named_parameters(true);
  ASSERT_EQ(a.named_parameters(true).size(), pb.size());
  for (const auto& p : a.named_parameters(true)) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
  auto bb = b.named_buffers(true);
  ASSERT_EQ(a.named_buffers(true).size(), bb.size());
  for (const auto& x : a.named_buffers(true)) {
    EXPECT_TRUE(torch::equal(x.value(), bb[x.key()])) << x.key();
  }
}

class CheckpointTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  TempDir dir;
};

TEST_P(CheckpointTest, RoundTripKeepsParametersAndMask) {
  torch::manual_seed(1);
  auto saved = GetParam().make();
  test::randomize_batchnorm(*saved);
  saved->prune_channels({1, 4});
  const std::string path = dir.file("model.pt");
  save_checkpoint(*saved, path);

  torch::manual_seed(2);
  auto loaded = GetParam().make();
  ASSERT_FALSE(torch::equal(loaded->parameters().front(), saved->parameters().front()));
  load_checkpoint(*loaded, path);
  expect_same_state(*saved, *loaded);
  EXPECT_EQ(loaded->pruned_channels(), (std::vector<int64_t>{1, 4}));
  saved->eval();
  loaded->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = test::images_for(GetParam(), 2);
  EXPECT_TRUE(torch::equal(saved->forward(x), loaded->forward(x)));
}

INSTANTIATE_TEST_SUITE_P(AllModels, CheckpointTest, ::testing::ValuesIn(test::model_cases()),
                         [](const auto& info) { return info.param.label; });

std::shared_ptr<PrunableNet> small_model(std::vector<int64_t> widths = {4, 8, 8}) {
  torch::set_num_threads(1);
  ModelSpec spec;
  spec.widths = std::move(widths);
  spec.hidden = 16;
  return make_model(spec, {1, 28, 28}, 5);
}

TEST(Checkpoint, SaveReplacesFileAtomically) {
  TempDir dir;
  const std::string path = dir.file("model.pt");
  write_text(path, "an older file");
  auto model = small_model();
  model->prune_channels({3});
  save_checkpoint(*model, path);
  EXPECT_EQ(test_support::list_dir(dir.path()), std::vector<std::string>{"model.pt"});  // no model.pt.tmp left
  EXPECT_GT(fs::file_size(path), 100u);
  auto loaded = small_model();
  load_checkpoint(*loaded, path);
  expect_same_state(*model, *loaded);

  // Saving again over a checkpoint also leaves exactly one file.
  model->prune_channels({0});
  save_checkpoint(*model, path);
  EXPECT_EQ(test_support::list_dir(dir.path()), std::vector<std::string>{"model.pt"});
  load_checkpoint(*loaded, path);
  EXPECT_EQ(loaded->pruned_channels(), (std::vector<int64_t>{0, 3}));
}

// save_checkpoint returns the SHA-256 of the file as written; load_checkpoint given that digest
// loads the file while its bytes match and refuses it, loading nothing, once one byte changed.
TEST(Checkpoint, DigestIsVerifiedBeforeAnythingIsLoaded) {
  TempDir dir;
  const std::string path = dir.file("model.pt");
  auto model = small_model();
  model->prune_channels({2});
  const std::string digest = save_checkpoint(*model, path);
  ASSERT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest, file_sha256(path));
  auto loaded = small_model();
  load_checkpoint(*loaded, path, digest);
  expect_same_state(*model, *loaded);

  // One bit of one weight changed, as bit rot would: LibTorch still reads the file.
  std::string bytes = test_support::read_bytes(path);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x04);
  write_text(path, bytes);
  auto unchanged = small_model();
  torch::NoGradGuard no_grad;
  for (auto& p : unchanged->named_parameters(true)) p.value().fill_(0.25);
  auto reference = small_model();
  copy_weights(*unchanged, *reference);
  try {
    load_checkpoint(*unchanged, path, digest);
    FAIL() << "a changed checkpoint was loaded";
  } catch (const DamagedFileError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(digest), std::string::npos) << msg;
    EXPECT_NE(msg.find(file_sha256(path)), std::string::npos) << msg;
  }
  expect_same_state(*reference, *unchanged);  // nothing was loaded
}

TEST(Checkpoint, SaveIntoMissingFolderThrowsIoError) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/model.pt");
  auto model = small_model();
  expect_io_error_naming([&] { save_checkpoint(*model, path); }, path);
  EXPECT_TRUE(test_support::list_dir(dir.path()).empty());
}

// Missing, garbage, empty and other-model files all give an IoError naming the file.
TEST(Checkpoint, LoadBadFilesThrowsIoError) {
  TempDir dir;
  auto model = small_model();
  const std::string missing = dir.file("missing.pt");
  expect_io_error_naming([&] { load_checkpoint(*model, missing); }, missing);

  const std::string garbage = dir.file("garbage.pt");
  write_text(garbage, "this is not a checkpoint at all\n");
  expect_io_error_naming([&] { load_checkpoint(*model, garbage); }, garbage);
  write_text(garbage, "");
  expect_io_error_naming([&] { load_checkpoint(*model, garbage); }, garbage);

  const std::string other = dir.file("resnet.pt");
  ModelSpec spec;
  spec.name = "preact_resnet18";
  spec.widths = {4, 4, 8, 8};
  auto resnet = make_model(spec, {3, 32, 32}, 5);
  save_checkpoint(*resnet, other);
  expect_io_error_naming([&] { load_checkpoint(*model, other); }, other);
}

// The header promises an IoError for a checkpoint "of another architecture". A small_cnn with
// other widths, or a VGG (whose names are a superset of small_cnn's), has the parameter names the
// model reads but other shapes.
// LibTorch's Module::load checks only that each name exists; load_checkpoint compares shapes
// first, so such a load throws instead of leaving a model with the checkpoint's shapes.
TEST(Checkpoint, LoadOtherShapesThrowsIoError) {
  TempDir dir;
  const std::string path = dir.file("narrow.pt");
  auto narrow = small_model({4, 8, 8});
  save_checkpoint(*narrow, path);
  auto wide = small_model({4, 8, 16});
  expect_io_error_naming([&] { load_checkpoint(*wide, path); }, path);
  EXPECT_EQ(wide->channel_mask().size(0), 16) << "a failed load changed the model's shapes";

  const std::string vgg_path = dir.file("vgg.pt");
  ModelSpec spec;
  spec.name = "vgg";
  spec.widths = {4, 4, 8, 8};
  spec.hidden = 16;
  auto vgg = make_model(spec, {3, 32, 32}, 5);
  save_checkpoint(*vgg, vgg_path);
  auto model = small_model();
  expect_io_error_naming([&] { load_checkpoint(*model, vgg_path); }, vgg_path);
}

}  // namespace
}  // namespace fineprune
