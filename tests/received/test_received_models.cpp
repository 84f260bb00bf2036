// Models that arrive as PyTorch files: PyTorch (Debian's python3-torch, /usr/bin/python3) writes
// state_dicts of fineprune's small_cnn and of the benchmarks' PreAct-ResNet-18
// (tests/received/make_state_dicts.py); fineprune must compute what PyTorch computes on the same
// input, refuse every bad file by name, write back what PyTorch loads, and defend such a model
// with one command. Skipped, saying so, where python3-torch is not installed.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "common/error.h"
#include "results/result_tables.h"
#include "tests/cli/cli_harness.h"
#include "workers/models/checkpoint.h"
#include "workers/models/model_factory.h"
#include "workers/models/state_dict_file.h"
#include "workers/models/state_dict_layout.h"

namespace fineprune {
namespace {

const std::string kScript = std::string(FINEPRUNE_SOURCE_DIR) + "/tests/received/make_state_dicts.py";

bool python_has_torch() {
  return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

// The files make_state_dicts.py writes, made once for every test here.
class Received : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!python_has_torch()) return;
    dir_ = std::make_unique<test_support::TempDir>();
    const std::string command = "/usr/bin/python3 " + kScript + " " + dir_->path() + " 2>&1";
    made_ = std::system(command.c_str()) == 0;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    if (!python_has_torch()) {
      GTEST_SKIP() << "python3-torch is not installed (/usr/bin/python3 cannot import torch): PyTorch's side "
                      "of these tests cannot run; scripts/install-deps.sh installs it";
    }
    ASSERT_TRUE(made_) << "make_state_dicts.py failed";
  }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static std::unique_ptr<test_support::TempDir> dir_;
  static bool made_;
};
std::unique_ptr<test_support::TempDir> Received::dir_;
bool Received::made_ = false;

torch::Tensor tensor_named(const std::vector<NamedTensor>& tensors, const std::string& name) {
  for (const NamedTensor& t : tensors) {
    if (t.name == name) return t.value;
  }
  ADD_FAILURE() << "no tensor '" << name << "'";
  return {};
}

ModelSpec small_cnn_spec() {
  ModelSpec m;
  m.name = "small_cnn";
  m.widths = {8, 16, 16};
  m.hidden = 32;
  return m;
}

ModelSpec preact_spec() {
  ModelSpec m;
  m.name = "preact_resnet18";
  m.widths = {8, 16, 32, 64};
  m.input_mean = {0.4914, 0.4822, 0.4465};
  m.input_std = {0.2470, 0.2435, 0.2616};
  return model_for_layout("backdoorbench", m);
}

ModelSpec vgg_spec() {
  ModelSpec m;
  m.name = "vgg";
  m.widths = {8, 8, 16, 16};
  m.hidden = 32;
  return m;
}

// The largest difference between fineprune's logits and PyTorch's on PyTorch's input.
double max_difference(PrunableNet& model, const std::string& io_file, const std::string& output_file = "") {
  const std::vector<NamedTensor> io = read_state_dict(io_file);
  const std::vector<NamedTensor> out = output_file.empty() ? io : read_state_dict(output_file);
  torch::NoGradGuard no_grad;
  model.eval();
  const torch::Tensor ours = model.forward(tensor_named(io, "input"));
  const torch::Tensor theirs = tensor_named(out, "output");
  EXPECT_EQ(ours.sizes(), theirs.sizes());
  return (ours - theirs).abs().max().item<double>();
}

TEST_F(Received, SmallCnnComputesWhatPyTorchComputes) {
  auto model = make_model(small_cnn_spec(), {1, 28, 28}, 10);
  load_state_dict_into(*model, read_state_dict(file("small_cnn.pt")), "fineprune", file("small_cnn.pt"));
  EXPECT_LT(max_difference(*model, file("small_cnn.io.pt")), 1e-5);
}

TEST_F(Received, BenchmarkPreActResNet18ComputesWhatPyTorchComputes) {
  auto model = make_model(preact_spec(), {3, 32, 32}, 10);
  const std::vector<NamedTensor> tensors = read_state_dict(file("preact_bb.pt"));
  load_state_dict_into(*model, tensors, "backdoorbench", file("preact_bb.pt"));
  EXPECT_LT(max_difference(*model, file("preact_bb.io.pt")), 1e-5);
  // The BatchNorm statistics came across (the file's are far from the defaults).
  const torch::Tensor theirs = tensor_named(tensors, "layer4.1.bn2.running_var");
  const torch::Tensor ours = model->named_buffers()["layer4_1.bn2.running_var"];
  EXPECT_TRUE(torch::equal(ours, theirs));
}

TEST_F(Received, PlainSequentialVggComputesWhatPyTorchComputes) {
  auto model = make_model(vgg_spec(), {3, 32, 32}, 10);
  load_state_dict_into(*model, read_state_dict(file("vgg_seq.pt")), "sequential", file("vgg_seq.pt"));
  EXPECT_LT(max_difference(*model, file("vgg_seq.io.pt")), 1e-5);
}

TEST_F(Received, EachBadFileIsRefusedNamingTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad_shape.pt", "tensor 'conv2.weight' has shape [16, 8, 5, 5], small_cnn in layout fineprune expects [16, 8, 3, 3]"},
      {"bad_missing.pt", "missing tensor 'fc1.bias' (shape [32])"},
      {"bad_extra.pt", "unexpected tensor 'conv4.weight' (shape [16, 16, 3, 3])"},
      {"bad_module.pt", "data.pkl byte 2: global '__main__.SmallCnn' is not allowed"},
      {"bad_legacy.pt", "not a zip archive written by torch.save"},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    auto model = make_model(small_cnn_spec(), {1, 28, 28}, 10);
    const torch::Tensor before = model->named_parameters()["conv1.weight"].clone();
    try {
      load_state_dict_into(*model, read_state_dict(file(name)), "fineprune", file(name));
      ADD_FAILURE() << "accepted";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(file(name) + ": ", 0), 0u) << message;  // names the file first
      EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
    EXPECT_TRUE(torch::equal(before, model->named_parameters()["conv1.weight"])) << "the model changed";
  }
}

// A pruned model written for PyTorch: PyTorch's network of that layout loads it strictly and
// computes what fineprune's pruned model computes; PyTorch's re-saved file reads back the same.
TEST_F(Received, ExportedPrunedModelLoadsInPyTorchAndComputesTheSame) {
  for (const std::string arch : {"small_cnn", "preact_bb", "vgg_seq"}) {
    SCOPED_TRACE(arch);
    const std::string layout = arch == "small_cnn" ? "fineprune" : arch == "preact_bb" ? "backdoorbench" : "sequential";
    const auto make = [&] {
      return arch == "small_cnn" ? make_model(small_cnn_spec(), {1, 28, 28}, 10)
             : arch == "preact_bb" ? make_model(preact_spec(), {3, 32, 32}, 10)
                                   : make_model(vgg_spec(), {3, 32, 32}, 10);
    };
    auto model = make();
    load_state_dict_into(*model, read_state_dict(file(arch + ".pt")), layout, file(arch + ".pt"));
    model->prune_channels({0, 3, 5});
    const torch::Tensor input = tensor_named(read_state_dict(file(arch + ".io.pt")), "input");
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor pruned_logits = model->forward(input);
    auto copy = make();
    copy_weights(*model, *copy);
    const std::string exported = file(arch + ".exported.pt");
    write_state_dict(state_dict_of(*copy, layout, input.slice(0, 0, 1)), exported);
    const std::string resaved = file(arch + ".resaved.pt");
    const std::string command = "/usr/bin/python3 " + kScript + " reload " + arch + " " + exported + " " +
                                file(arch + ".io.pt") + " " + resaved + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "PyTorch did not load the exported file";
    const torch::Tensor theirs = tensor_named(read_state_dict(resaved + ".io.pt"), "output");
    EXPECT_LT((pruned_logits - theirs).abs().max().item<double>(), 1e-5);
    // And back: PyTorch's file into a fresh model computes the same (no mask: it is in the weights).
    auto back = make();
    load_state_dict_into(*back, read_state_dict(resaved), layout, resaved);
    back->eval();
    EXPECT_LT((back->forward(input) - pruned_logits).abs().max().item<double>(), 1e-5);
  }
}

TEST_F(Received, BackdoorBenchNamesAreTheBenchmarksOwn) {
  EXPECT_EQ(layout_name("backdoorbench", "stem.weight"), "conv1.weight");
  EXPECT_EQ(layout_name("backdoorbench", "layer2_0.shortcut.weight"), "layer2.0.shortcut.0.weight");
  EXPECT_EQ(layout_name("backdoorbench", "layer4_1.bn2.num_batches_tracked"), "layer4.1.bn2.num_batches_tracked");
  EXPECT_EQ(layout_name("backdoorbench", "fc.bias"), "linear.bias");
  EXPECT_EQ(layout_name("backdoorbench", "prune_mask"), "");
  EXPECT_THROW(model_for_layout("backdoorbench", small_cnn_spec()), InputError);
  EXPECT_THROW(model_for_layout("timm", small_cnn_spec()), InputError);
  EXPECT_EQ(layout_name("sequential", "conv1.weight"), "features.0.weight");
  EXPECT_EQ(layout_name("sequential", "bn1.running_var"), "features.1.running_var");
  EXPECT_EQ(layout_name("sequential", "conv2.bias"), "features.3.bias");
  EXPECT_EQ(layout_name("sequential", "conv3.weight"), "features.7.weight");  // after conv2's pool
  EXPECT_EQ(layout_name("sequential", "bn6.weight"), "features.18.weight");
  EXPECT_EQ(layout_name("sequential", "fc2.bias"), "classifier.2.bias");
  EXPECT_THROW(model_for_layout("sequential", small_cnn_spec()), InputError);
}

// The command a user runs: `fineprune defend` on the PyTorch file, the tiny Fashion-MNIST
// experiment's defenses, the file's name and digest in the result file; each bad file exit 2,
// naming the problem, before any work and without an output.
TEST_F(Received, DefendCommandWritesTheTablesAndRefusesBadFiles) {
  if (!test_support::have_fashion_mnist()) GTEST_SKIP() << "no dataset at " << test_support::kFashionMnistDir;
  test_support::TempDir work;
  const std::string spec = work.file("tiny.yaml");
  test_support::write_text(spec, e2e::tiny_experiment_yaml());
  const std::string out = work.file("defended.h5");
  const e2e::RunResult ok = e2e::run_fineprune(
      {"defend", file("small_cnn.pt"), "--arch", "small_cnn", "--spec", spec, "--out", out, "-q"}, dir_->path());
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.attributes.at("received_model_layout"), "fineprune");
  EXPECT_EQ(f.attributes.at("received_model_sha256"), file_sha256(file("small_cnn.pt")));
  EXPECT_NE(f.attributes.at("received_model_file").find("small_cnn.pt"), std::string::npos);
  std::set<std::string> defenses;
  for (const ResultRow& r : f.results) {
    defenses.insert(r.defense);
    EXPECT_EQ(r.train_wall_s, 0.0);  // not trained here
  }
  EXPECT_EQ(defenses, (std::set<std::string>{"none", "prune", "finetune", "fineprune"}));
  EXPECT_FALSE(f.curves.empty());
  // An untrained random network: about chance on clean images.
  for (const ResultRow& r : f.results) {
    if (r.defense == "none") EXPECT_LT(r.clean_acc, 0.3);
  }

  for (const auto& [name, expected] : std::vector<std::pair<std::string, std::string>>{
           {"bad_shape.pt", "'conv2.weight' has shape [16, 8, 5, 5]"},
           {"bad_missing.pt", "missing tensor 'fc1.bias'"},
           {"bad_extra.pt", "unexpected tensor 'conv4.weight'"},
           {"bad_module.pt", "is not allowed"},
           {"bad_legacy.pt", "not a zip archive"},
           {"no_such_file.pt", "no such file"}}) {
    SCOPED_TRACE(name);
    const std::string bad_out = work.file(name + ".h5");
    const e2e::RunResult bad = e2e::run_fineprune(
        {"defend", file(name), "--arch", "small_cnn", "--spec", spec, "--out", bad_out}, dir_->path());
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find(file(name)), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find(expected), std::string::npos) << bad.err;
    EXPECT_FALSE(std::filesystem::exists(bad_out));
  }
  // The layout must fit the architecture.
  const e2e::RunResult wrong_layout = e2e::run_fineprune(
      {"defend", file("small_cnn.pt"), "--arch", "small_cnn", "--layout", "backdoorbench", "--spec", spec, "--out",
       work.file("layout.h5")},
      dir_->path());
  EXPECT_EQ(wrong_layout.exit_code, 2);
  EXPECT_NE(wrong_layout.err.find("--layout backdoorbench"), std::string::npos) << wrong_layout.err;
  const e2e::RunResult wrong_arch = e2e::run_fineprune(
      {"defend", file("small_cnn.pt"), "--arch", "resnet50", "--spec", spec, "--out", work.file("arch.h5")},
      dir_->path());
  EXPECT_EQ(wrong_arch.exit_code, 2);
  EXPECT_NE(wrong_arch.err.find("--arch: unknown architecture 'resnet50' (small_cnn, vgg, preact_resnet18, deepid)"),
            std::string::npos)
      << wrong_arch.err;
}

// The benchmark network through the whole command: a CIFAR-10-format set, BackdoorBench's layout
// and its input normalisation; the undefended row's clean accuracy is PyTorch's on the same
// images (the loader's pixels, the normalisation and every weight agree).
TEST_F(Received, DefendCommandOnTheBenchmarkNetworkScoresWhatPyTorchScores) {
  test_support::TempDir work;
  const std::string spec = work.file("cifar.yaml");
  test_support::write_text(spec,
                           "name: tiny-cifar\n"
                           "data: {format: cifar10, dir: " + file("cifar") + ", train_batches: [data_batch_1.bin],\n"
                           "       validation_size: 100}\n"
                           "model: {name: preact_resnet18, widths: [8, 16, 32, 64], final_bn: false,\n"
                           "        input_mean: [0.4914, 0.4822, 0.4465], input_std: [0.2470, 0.2435, 0.2616]}\n"
                           "attacks:\n"
                           "  - name: badnets\n"
                           "    trigger: {type: patch, size: 3, position: bottom_right, margin: 0, style: solid}\n"
                           "defenses: [none, prune, fineprune]\n"
                           "pruning: {max_val_drop: 0.04, rates: [0.5]}\n"
                           "finetune: {epochs: 1, batch_size: 50, lr: 0.01}\n"
                           "seeds: [1]\n"
                           "threads: 1\n");
  const std::string out = work.file("cifar.h5");
  const e2e::RunResult r = e2e::run_fineprune({"defend", file("preact_bb.pt"), "--arch", "preact_resnet18", "--layout",
                                               "backdoorbench", "--spec", spec, "--out", out, "-q"},
                                              dir_->path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.attributes.at("received_model_layout"), "backdoorbench");
  EXPECT_EQ(f.attributes.at("received_model_arch"), "preact_resnet18");
  const double pytorch = tensor_named(read_state_dict(file("preact_bb.cifar.pt")), "clean_acc")[0].item<double>();
  int rows = 0;
  for (const ResultRow& row : f.results) {
    if (row.defense != "none") continue;
    ++rows;
    EXPECT_NEAR(row.clean_acc, pytorch, 0.5 / 100) << "fineprune and PyTorch disagree on the same 100 images";
    EXPECT_EQ(row.total_channels, 64);
  }
  EXPECT_EQ(rows, 1);
  EXPECT_FALSE(f.curves.empty());
}

}  // namespace
}  // namespace fineprune
