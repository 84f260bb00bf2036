// CLP, channel Lipschitzness-based pruning (Zheng, Tang, Li, Liu, ECCV 2022; docs/DEFENSES.md):
// data-free. For each output channel k of a conv, the upper bound of its Lipschitz constant is the
// largest singular value of its kernel W_k reshaped to (input channels) x (kernel positions),
// times |gamma_k / sqrt(running_var_k)| of the BatchNorm right after the conv where there is one.
// Channels above mean + u * std (sample std) of their layer are pruned, all layers scored on the
// original weights at once, no fine-tuning.
//
// Which BatchNorm belongs to a conv: the module registered right after it under the same parent,
// with one feature per output channel (a pre-activation net's next-block BatchNorm normalises a
// sum, not the conv: such a conv is scored on its weights alone, as a conv without one is).
// Pruning: the BatchNorm's gamma and beta set to 0 (the paper); without one, the conv's weights
// and bias (a kept bias would still put out relu(b_k)). The prunable conv's channels go through
// the model's own mask, so its rows count them like any pruning.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/yaml_reading.h"
#include "workers/defenses/defense_unit.h"

namespace fineprune {

namespace {

struct ScoredConv {
  torch::nn::Conv2dImpl* conv = nullptr;
  torch::nn::BatchNorm2dImpl* bn = nullptr;  // the BatchNorm right after it, or null
};

std::string parent_of(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

std::vector<ScoredConv> convs_with_their_batchnorm(PrunableNet& model) {
  const auto modules = model.named_modules("", false);
  std::vector<ScoredConv> out;
  for (size_t i = 0; i < modules.size(); ++i) {
    auto* conv = modules[i].value()->as<torch::nn::Conv2d>();
    if (conv == nullptr) continue;
    ScoredConv s{conv, nullptr};
    if (i + 1 < modules.size() && parent_of(modules[i + 1].key()) == parent_of(modules[i].key())) {
      auto* bn = modules[i + 1].value()->as<torch::nn::BatchNorm2d>();
      if (bn != nullptr && bn->options.num_features() == conv->options.out_channels()) s.bn = bn;
    }
    out.push_back(s);
  }
  return out;
}

// Each output channel's upper bound on its Lipschitz constant.
torch::Tensor channel_lipschitz_bounds(const ScoredConv& s) {
  const torch::Tensor w = s.conv->weight.detach().to(torch::kFloat64);
  const torch::Tensor per_channel = w.reshape({w.size(0), w.size(1), -1});  // [out, in, kh*kw]
  torch::Tensor bound = torch::linalg::svdvals(per_channel, c10::nullopt).select(1, 0);   // largest, per channel
  if (s.bn != nullptr) {
    const torch::Tensor gamma = s.bn->weight.detach().to(torch::kFloat64);
    const torch::Tensor var = s.bn->running_var.detach().to(torch::kFloat64);
    bound = bound * (gamma / var.sqrt()).abs();
  }
  return bound;
}

// Channels with a bound above mean + u * std of their layer.
std::vector<int64_t> flagged_channels(const torch::Tensor& bounds, double u) {
  const double limit = bounds.mean().item<double>() + u * bounds.std().item<double>();
  std::vector<int64_t> out;
  for (int64_t k = 0; k < bounds.size(0); ++k) {
    if (bounds[k].item<double>() > limit) out.push_back(k);
  }
  return out;
}

void zero_channel(const ScoredConv& s, int64_t k) {
  torch::NoGradGuard no_grad;
  if (s.bn != nullptr) {
    s.bn->weight[k].zero_();
    s.bn->bias[k].zero_();
    return;
  }
  s.conv->weight[k].zero_();
  if (s.conv->bias.defined()) s.conv->bias[k].zero_();
}

DefenseOutput clp(const DefenseInput& in) {
  const double u = in.settings.at("u");
  const bool all_layers = in.settings.at("all_layers") != 0;
  DefenseOutput out;
  out.model = in.recipe.copy_of(in.model);
  torch::nn::Conv2dImpl* const last = out.model->last_conv().get();
  std::string per_layer;
  for (const ScoredConv& s : convs_with_their_batchnorm(*out.model)) {
    if (!all_layers && s.conv != last) continue;
    // Every layer is scored before any is pruned: zeroing one layer's channels changes no other
    // layer's bound (each depends on its own weights only).
    const std::vector<int64_t> flagged = flagged_channels(channel_lipschitz_bounds(s), u);
    if (s.conv == last) {
      out.model->prune_channels(flagged);
    } else {
      for (int64_t k : flagged) zero_channel(s, k);
    }
    out.setting.channels += static_cast<int64_t>(flagged.size());
    out.total_channels += s.conv->options.out_channels();
    per_layer += " " + std::to_string(flagged.size()) + "/" + std::to_string(s.conv->options.out_channels());
  }
  if (in.log) in.log("clp: channels pruned per conv (u " + format_number(u) + "):" + per_layer);
  return out;
}

}  // namespace

FINEPRUNE_DEFENSE_UNIT(clp, clp);

}  // namespace fineprune
