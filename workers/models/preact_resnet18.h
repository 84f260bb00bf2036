// PreAct-ResNet-18 (He et al. 2016), the field's standard 32x32 benchmark network. The prunable
// layer is the last stage's output after the final BN and ReLU, average-pooled (its channels sum
// the last convolution and the shortcut, so the final BN is what silences a channel). Without
// the final BN (final_bn false) it is the last stage's sum itself, pooled, and only the mask
// silences a pruned channel.
#pragma once

#include "workers/models/small_cnn.h"

namespace fineprune {

class PreActBlockImpl : public torch::nn::Module {
 public:
  PreActBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv2{nullptr};

 private:
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(PreActBlock);

class PreActResNet18 : public PrunableNet {
 public:
  // widths: the four stage widths (default 64 128 256 512). final_bn false: no BatchNorm and ReLU
  // after the last stage (the benchmarks' variant, model.final_bn).
  PreActResNet18(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, bool final_bn = true);
  torch::Tensor head_rest(const torch::Tensor& z) override { return z; }

 protected:
  TrunkOutput trunk_raw(const torch::Tensor& x) override;
  torch::nn::Linear& first_linear() override { return fc_; }
  torch::nn::Conv2d prunable_conv() override { return blocks_.back()->conv2; }
  torch::nn::BatchNorm2d prunable_bn() override { return bn_final_; }

 private:
  torch::nn::Conv2d stem_{nullptr};
  std::vector<PreActBlock> blocks_;
  torch::nn::BatchNorm2d bn_final_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

}  // namespace fineprune
