// Channel pruning and the trunk/head split shared by every model.
#include "workers/models/prunable_net.h"

#include "common/error.h"

namespace fineprune {

PrunableNet::PrunableNet(std::string name, int64_t prunable_channels)
    : name_(std::move(name)), channels_(prunable_channels) {
  mask_ = register_buffer("prune_mask", torch::ones({prunable_channels}));
}

TrunkOutput PrunableNet::trunk(const torch::Tensor& x) {
  TrunkOutput t = trunk_raw(normalized(x));
  t.act = t.act * mask_.view({1, -1, 1, 1});
  return t;
}

torch::Tensor PrunableNet::head_affine(const TrunkOutput& t) {
  torch::Tensor flat = t.act.flatten(1);
  if (t.side.defined()) {
    flat = torch::cat({flat, t.side.flatten(1)}, 1);
  }
  return first_linear()->forward(flat);
}

torch::Tensor PrunableNet::channel_term(const torch::Tensor& act, int64_t c) {
  const int64_t hw = act.size(2) * act.size(3);
  torch::Tensor columns = first_linear()->weight.narrow(1, c * hw, hw);  // [D, hw]
  return torch::matmul(act.select(1, c).reshape({act.size(0), hw}), columns.t());
}

torch::Tensor PrunableNet::forward(const torch::Tensor& x) {
  return head_rest(head_affine(trunk(x)));
}

torch::Tensor PrunableNet::forward_with_features(const torch::Tensor& x, std::vector<torch::Tensor>& features) {
  const TrunkOutput t = trunk(x);
  features.push_back(t.act);
  return head_rest(head_affine(t));
}

std::vector<int64_t> PrunableNet::pruned_channels() const {
  std::vector<int64_t> out;
  auto m = mask_.accessor<float, 1>();
  for (int64_t c = 0; c < channels_; ++c) {
    if (m[c] == 0.0f) out.push_back(c);
  }
  return out;
}

void PrunableNet::prune_channels(const std::vector<int64_t>& channels) {
  torch::NoGradGuard no_grad;
  for (int64_t c : channels) {
    if (c < 0 || c >= channels_) {
      throw Error("prune_channels: channel " + std::to_string(c) + " out of range 0.." +
                  std::to_string(channels_ - 1) + " for model " + name_);
    }
    mask_[c] = 0.0f;
  }
  enforce_mask();
}

void PrunableNet::enforce_mask() {
  torch::NoGradGuard no_grad;
  const torch::Tensor keep = mask_;
  if (auto conv = prunable_conv()) {
    conv->weight.mul_(keep.view({-1, 1, 1, 1}));
    if (conv->bias.defined()) conv->bias.mul_(keep);
  }
  if (auto bn = prunable_bn()) {
    if (bn->weight.defined()) bn->weight.mul_(keep);
    if (bn->bias.defined()) bn->bias.mul_(keep);
  }
}

void PrunableNet::set_input_normalization(std::vector<double> mean, std::vector<double> std) {
  if (mean.size() != std.size()) {
    throw InputError("model.input_mean and input_std: " + std::to_string(mean.size()) + " and " +
                     std::to_string(std.size()) + " values, one per image channel each");
  }
  input_mean_ = std::move(mean);
  input_std_ = std::move(std);
}

torch::Tensor PrunableNet::normalized(const torch::Tensor& x) const {
  if (input_mean_.empty()) return x;
  if (x.dim() != 4 || x.size(1) != static_cast<int64_t>(input_mean_.size())) {
    throw InputError("model.input_mean: " + std::to_string(input_mean_.size()) + " values for images of " +
                     std::to_string(x.dim() == 4 ? x.size(1) : 0) + " channels");
  }
  const auto options = x.options();
  const torch::Tensor mean = torch::tensor(input_mean_, options.dtype(torch::kDouble)).to(options).view({1, -1, 1, 1});
  const torch::Tensor std = torch::tensor(input_std_, options.dtype(torch::kDouble)).to(options).view({1, -1, 1, 1});
  return (x - mean) / std;
}

void PrunableNet::fold_mask_into_head(const torch::Tensor& example) {
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> pruned = pruned_channels();
  if (pruned.empty()) return;
  const bool training = is_training();
  eval();  // a forward pass in training mode would move the BatchNorm statistics
  const torch::Tensor act = trunk(example).act;
  train(training);
  const int64_t block = act[0][0].numel();  // flatten(act) is channel-major: c's block of positions
  torch::Tensor weight = first_linear()->weight;
  for (int64_t c : pruned) weight.narrow(1, c * block, block).zero_();
}

void PrunableNet::unmask_channels(const std::vector<int64_t>& channels) {
  torch::NoGradGuard no_grad;
  for (int64_t c : channels) mask_[c] = 1.0f;
}

void PrunableNet::lower_bias(const std::vector<int64_t>& channels, double amount) {
  torch::NoGradGuard no_grad;
  torch::Tensor bias;
  if (auto bn = prunable_bn()) {
    bias = bn->bias;
  } else if (auto conv = prunable_conv()) {
    bias = conv->bias;
  }
  if (!bias.defined()) {
    throw Error("lower_bias: model " + name_ + " has no bias on its prunable layer");
  }
  for (int64_t c : channels) bias[c] -= amount;
}

void PrunableNet::restore_channels_from(PrunableNet& source, const std::vector<int64_t>& channels) {
  torch::NoGradGuard no_grad;
  auto copy_rows = [&](torch::Tensor to, const torch::Tensor& from) {
    if (!to.defined()) return;
    for (int64_t c : channels) to[c].copy_(from[c]);
  };
  if (auto conv = prunable_conv()) {
    auto src = source.prunable_conv();
    copy_rows(conv->weight, src->weight);
    copy_rows(conv->bias, src->bias);
  }
  if (auto bn = prunable_bn()) {
    auto src = source.prunable_bn();
    copy_rows(bn->weight, src->weight);
    copy_rows(bn->bias, src->bias);
    copy_rows(bn->running_mean, src->running_mean);
    copy_rows(bn->running_var, src->running_var);
  }
}

}  // namespace fineprune
