// Tiny instances of the four networks shared by the model tests, with the names of their
// prunable layer's tensors (one row per channel).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "workers/models/model_factory.h"

namespace fineprune::test {

struct ModelCase {
  std::string label;  // the test name suffix
  std::string name;
  ImageShape shape;
  std::vector<int64_t> widths;
  int64_t hidden;
  std::vector<std::string> zeroed;  // parameters whose row c pruning zeroes
  std::vector<std::string> stats;   // BatchNorm statistics of the prunable layer (not zeroed)
  std::string bias;                 // the tensor lower_bias changes
  std::string head = "flatten";     // small_cnn: how the pruned layer reaches the dense head

  ModelRecipe recipe(int64_t classes = 5) const {
    ModelSpec spec;
    spec.name = name;
    spec.widths = widths;
    spec.hidden = hidden;
    spec.head = head;
    return {spec, shape, classes};
  }
  std::shared_ptr<PrunableNet> make(int64_t classes = 5) const { return recipe(classes).make(); }
};

inline std::ostream& operator<<(std::ostream& os, const ModelCase& c) { return os << c.label; }

// "vgg_one_stage" (one conv) checks VGG's pooling count at its edge: a pool after the only conv.
inline std::vector<ModelCase> model_cases() {
  return {
      {"small_cnn", "small_cnn", {1, 28, 28}, {4, 8, 8}, 16, {"conv3.weight", "conv3.bias"}, {},
       "conv3.bias"},
      {"small_cnn_global_pool", "small_cnn", {1, 28, 28}, {4, 8, 8}, 16, {"conv3.weight", "conv3.bias"},
       {}, "conv3.bias", "global_pool"},
      {"small_cnn_max_pool", "small_cnn", {1, 28, 28}, {4, 8, 8}, 16, {"conv3.weight", "conv3.bias"},
       {}, "conv3.bias", "max_pool"},
      {"vgg", "vgg", {3, 32, 32}, {4, 4, 8, 8}, 16,
       {"conv4.weight", "conv4.bias", "bn4.weight", "bn4.bias"},
       {"bn4.running_mean", "bn4.running_var"}, "bn4.bias"},
      {"vgg_one_stage", "vgg", {3, 32, 32}, {8}, 16,
       {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"},
       {"bn1.running_mean", "bn1.running_var"}, "bn1.bias"},
      {"preact_resnet18", "preact_resnet18", {3, 32, 32}, {8, 8, 16, 16}, 0,
       {"layer4_1.conv2.weight", "bn_final.weight", "bn_final.bias"},
       {"bn_final.running_mean", "bn_final.running_var"}, "bn_final.bias"},
      {"deepid", "deepid", {3, 55, 47}, {4, 8, 8, 8}, 16, {"conv4.weight", "conv4.bias"}, {}, "conv4.bias"},
  };
}

// A named parameter or buffer of a module (throws if there is none).
inline torch::Tensor tensor_named(torch::nn::Module& m, const std::string& name) {
  if (auto* p = m.named_parameters(true).find(name)) return *p;
  if (auto* b = m.named_buffers(true).find(name)) return *b;
  throw std::runtime_error("no tensor named " + name);
}

// Gives every BatchNorm non-trivial statistics, scale and shift, so that eval mode is not the
// identity and copies of statistics are visible.
inline void randomize_batchnorm(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& b : m.named_buffers(true)) {
    const std::string& k = b.key();
    if (k.size() >= 12 && k.compare(k.size() - 12, 12, "running_mean") == 0) {
      b.value().uniform_(-0.2, 0.2);
    } else if (k.size() >= 11 && k.compare(k.size() - 11, 11, "running_var") == 0) {
      b.value().uniform_(0.5, 1.5);
    }
  }
  for (auto& p : m.named_parameters(true)) {
    const std::string& k = p.key();
    if (k.find("bn") != std::string::npos) {
      if (k.size() >= 6 && k.compare(k.size() - 6, 6, "weight") == 0) p.value().uniform_(0.5, 1.5);
      else p.value().uniform_(-0.2, 0.2);
    }
  }
}

inline torch::Tensor images_for(const ModelCase& c, int64_t n) {
  return torch::rand({n, c.shape.channels, c.shape.height, c.shape.width});
}

}  // namespace fineprune::test
