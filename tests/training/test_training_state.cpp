// Epoch checkpoints: a saved state loads back exactly; a missing one says so; a corrupt one or
// one of another network is an IoError naming the file.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/hash.h"
#include "common/experiment_spec.h"
#include "tests/support/temp_files.h"
#include "workers/models/model_factory.h"
#include "workers/training/training_state.h"

namespace fineprune {
namespace {

using test_support::TempDir;

std::shared_ptr<PrunableNet> small(std::vector<int64_t> widths, uint64_t seed) {
  ModelSpec spec;
  spec.widths = std::move(widths);
  spec.hidden = 16;
  torch::manual_seed(seed);
  return make_model(spec, {1, 28, 28}, 10);
}

torch::optim::SGD sgd(PrunableNet& model) {
  return torch::optim::SGD(model.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
}

// One step, so the optimiser has momentum buffers to save.
void step(PrunableNet& model, torch::optim::SGD& opt) {
  opt.zero_grad();
  torch::nn::functional::cross_entropy(model.forward(torch::rand({4, 1, 28, 28})), torch::tensor({1, 2, 3, 4}))
      .backward();
  opt.step();
}

TEST(TrainingState, SavedStateLoadsBackIntoAFreshModelInANewFolder) {
  TempDir dir;
  const std::string path = dir.file("state/task-key/train.state");  // folders made on save
  auto model = small({4, 8, 8}, 1);
  auto opt = sgd(*model);
  step(*model, opt);
  save_training_state(path, *model, opt, 2);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  auto again = small({4, 8, 8}, 7);  // other initial weights
  auto opt2 = sgd(*again);
  EXPECT_EQ(load_training_state(path, *again, opt2), 2);
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(model->parameters()[i], again->parameters()[i])) << "parameter " << i;
  }
  // The momentum came back too: the same next step moves both alike.
  torch::manual_seed(0);
  step(*model, opt);
  torch::manual_seed(0);
  step(*again, opt2);
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    EXPECT_TRUE(torch::allclose(model->parameters()[i], again->parameters()[i])) << "after a step, " << i;
  }
  EXPECT_EQ(load_training_state(dir.file("nothing.state"), *again, opt2), -1);
}

// A state whose bytes changed after it was saved is never parsed (LibTorch crashes on some
// damaged archives): it is dropped with a warning, and the phase trains from its first epoch.
TEST(TrainingState, DamagedStateIsDiscardedNotLoaded) {
  TempDir dir;
  const std::string path = dir.file("train.state");
  auto model = small({4, 8, 8}, 1);
  auto opt = sgd(*model);
  save_training_state(path, *model, opt, 2);
  ASSERT_TRUE(std::filesystem::exists(path + ".sha256"));
  std::string bytes = test_support::read_bytes(path);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto fresh = small({4, 8, 8}, 2);
  auto opt2 = sgd(*fresh);
  const torch::Tensor before = fresh->parameters()[0].clone();
  EXPECT_EQ(load_training_state(path, *fresh, opt2), -1);
  EXPECT_TRUE(torch::equal(fresh->parameters()[0], before));  // nothing was loaded
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".sha256"));

  // Garbage without a digest beside it: the same.
  std::ofstream(path) << "not a checkpoint";
  EXPECT_EQ(load_training_state(path, *fresh, opt2), -1);
}

// Garbage with a matching digest (so not changed on disk, but not a state either) is an
// IoError naming the file and how to get past it.
TEST(TrainingState, CorruptFileIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("train.state");
  std::ofstream(path) << "not a checkpoint";
  std::ofstream(path + ".sha256") << sha256_hex("not a checkpoint") << "\n";
  auto model = small({4, 8, 8}, 1);
  auto opt = sgd(*model);
  try {
    load_training_state(path, *model, opt);
    FAIL() << "a corrupt state loaded";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt or of another model"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("delete it to train this phase"), std::string::npos) << e.what();
  }
}

TEST(TrainingState, StateOfAnotherNetworkIsRefused) {
  TempDir dir;
  const std::string path = dir.file("train.state");
  auto model = small({4, 8, 8}, 1);
  auto opt = sgd(*model);
  save_training_state(path, *model, opt, 1);
  auto wider = small({4, 8, 12}, 1);
  auto opt2 = sgd(*wider);
  // LibTorch alone would resize the model to the saved shapes without a word.
  try {
    load_training_state(path, *wider, opt2);
    FAIL() << "a state of another network loaded";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("another architecture"), std::string::npos) << e.what();
  }
  EXPECT_EQ(wider->parameters()[4].size(0), 12);  // untouched
}

}  // namespace
}  // namespace fineprune
