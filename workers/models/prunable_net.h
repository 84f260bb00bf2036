// The model interface every network implements: a trunk up to the prunable layer, a head after it,
// and channel pruning of that layer.
//
// Contract:
// - trunk(x) returns the prunable layer's activation (after its non-linearity, and after pooling
//   where the network pools there), with pruned channels already multiplied by zero;
// - head_affine(t) is the head's first affine map (a Linear over flatten(act), with the flattened
//   `side` input appended where the net has one, as DeepID does); it is linear in each channel of
//   act, which is what lets the pruning curve subtract one channel's term per step
//   (workers/defenses/pruning.cpp) instead of re-running the network;
// - head_rest(z) maps that affine output to logits.
// forward(x) == head_rest(head_affine(trunk(x))).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune {

struct TrunkOutput {
  torch::Tensor act;   // [N, C, H, W] prunable activation (masked)
  torch::Tensor side;  // extra head input that bypasses the prunable layer; undefined if none
};

class PrunableNet : public torch::nn::Module {
 public:
  PrunableNet(std::string name, int64_t prunable_channels);

  TrunkOutput trunk(const torch::Tensor& x);
  torch::Tensor head_affine(const TrunkOutput& t);
  // The part of head_affine(t) that channel c of `act` contributes (without the bias).
  torch::Tensor channel_term(const torch::Tensor& act, int64_t c);
  virtual torch::Tensor head_rest(const torch::Tensor& z) = 0;
  torch::Tensor forward(const torch::Tensor& x);
  // forward(x), and the feature maps attention distillation (NAD) compares, low to high, in
  // `features`: by default the prunable activation alone; a net with stages lists one per stage
  // (small_cnn: its three convs' activations before the head's pooling).
  virtual torch::Tensor forward_with_features(const torch::Tensor& x, std::vector<torch::Tensor>& features);
  // The prunable convolution and the BatchNorm after it (null where there is none).
  torch::nn::Conv2d last_conv() { return prunable_conv(); }
  torch::nn::BatchNorm2d last_bn() { return prunable_bn(); }

  const std::string& model_name() const { return name_; }
  // (x - mean) / std per image channel before the network (ModelSpec::input_mean/std); empty
  // vectors: none. InputError when the sizes differ.
  void set_input_normalization(std::vector<double> mean, std::vector<double> std);
  int64_t prunable_channels() const { return channels_; }
  // 1 for live channels, 0 for pruned ones; a buffer, so it is saved in checkpoints.
  torch::Tensor channel_mask() const { return mask_; }
  std::vector<int64_t> pruned_channels() const;

  // Prunes channels: mask to zero, and zero the prunable conv's weights and bias and the following
  // BatchNorm's scale and shift, so the channel outputs nothing.
  void prune_channels(const std::vector<int64_t>& channels);
  // Re-zeroes the parameters of every masked channel (call after each optimiser step so pruned
  // channels stay pruned while fine-tuning, even under momentum and weight decay).
  void enforce_mask();
  // Zeroes the head's inputs that masked channels feed (the first dense layer's columns of their
  // positions), so that the network computes the same with the mask cleared: what a copy of it
  // without a mask (a PyTorch network, fineprune export) needs. `example`: one input batch.
  void fold_mask_into_head(const torch::Tensor& example);
  // Clears the mask of `channels` (the pruning-aware attack's reinstatement).
  void unmask_channels(const std::vector<int64_t>& channels);
  // Lowers the bias of `channels`: the following BatchNorm's shift if there is one, else the
  // conv's bias.
  void lower_bias(const std::vector<int64_t>& channels, double amount);
  // Copies the prunable conv's and BatchNorm's parameters (and statistics) of `channels` from a
  // model of the same architecture.
  void restore_channels_from(PrunableNet& source, const std::vector<int64_t>& channels);

 protected:
  // x normalised as set_input_normalization says (x itself where it was not set).
  torch::Tensor normalized(const torch::Tensor& x) const;
  // The network up to the prunable activation, without the mask, on normalized input.
  virtual TrunkOutput trunk_raw(const torch::Tensor& x) = 0;
  // The head's first layer, applied to cat(flatten(act), flatten(side)).
  virtual torch::nn::Linear& first_linear() = 0;
  // The prunable convolution and the BatchNorm after it (either may be empty).
  virtual torch::nn::Conv2d prunable_conv() = 0;
  virtual torch::nn::BatchNorm2d prunable_bn() { return nullptr; }
 private:
  std::string name_;
  int64_t channels_;
  std::vector<double> input_mean_, input_std_;
  torch::Tensor mask_;
};

}  // namespace fineprune
