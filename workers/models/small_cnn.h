// The default network for 28x28 grey images (Fashion-MNIST, MNIST): three 3x3 convolutions, the
// last one prunable, and a two-layer dense head.
#pragma once

#include <string>

#include "workers/models/prunable_net.h"

namespace fineprune {

struct ImageShape {
  int64_t channels;
  int64_t height;
  int64_t width;
};

// How the pruned layer's activation reaches the dense head (`model.head`).
enum class SmallCnnHead {
  kFlatten,     // every position of every channel (7x7 on 28x28 images)
  kMaxPool,     // a 2x2 max-pool first, as the usual small CNNs do (7x7 -> 3x3: the last row and
                // column are dropped, floor division)
  kGlobalPool,  // each channel averaged over its positions
};

// "flatten" | "max_pool" | "global_pool"; InputError naming `key` for anything else.
SmallCnnHead small_cnn_head_from_string(const std::string& text, const std::string& key = "model.head");

// conv(w0)-ReLU-pool2, conv(w1)-ReLU-pool2, conv(w2)-ReLU [prunable] (then pooled as `head`
// says), dense(hidden)-ReLU, dense(K). The pooling is part of the trunk, per channel, so a pruned
// channel still contributes nothing and the head stays affine in each channel (the exact
// incremental pruning curve).
class SmallCnn : public PrunableNet {
 public:
  SmallCnn(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden,
           SmallCnnHead head = SmallCnnHead::kFlatten);
  torch::Tensor head_rest(const torch::Tensor& z) override;
  // Features: the first two convs' pooled activations (14x14, 7x7 on 28x28 images) and the
  // prunable conv's (7x7, masked), before the head pools it.
  torch::Tensor forward_with_features(const torch::Tensor& x, std::vector<torch::Tensor>& features) override;

 protected:
  TrunkOutput trunk_raw(const torch::Tensor& x) override;
  torch::nn::Linear& first_linear() override { return fc1_; }
  torch::nn::Conv2d prunable_conv() override { return conv3_; }

 private:
  // conv1-3's activations, the last before the head's pooling and unmasked.
  std::vector<torch::Tensor> conv_activations(const torch::Tensor& x);
  torch::Tensor pooled_for_head(const torch::Tensor& act) const;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  SmallCnnHead head_ = SmallCnnHead::kFlatten;
};

}  // namespace fineprune
