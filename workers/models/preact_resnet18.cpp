// PreAct-ResNet-18.
#include "workers/models/preact_resnet18.h"

#include "common/error.h"

namespace fineprune {

namespace nn = torch::nn;

static nn::Conv2dOptions conv3x3(int64_t in, int64_t out, int64_t stride) {
  return nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false);
}

PreActBlockImpl::PreActBlockImpl(int64_t in, int64_t out, int64_t stride) {
  bn1 = register_module("bn1", nn::BatchNorm2d(in));
  conv1 = register_module("conv1", nn::Conv2d(conv3x3(in, out, stride)));
  bn2 = register_module("bn2", nn::BatchNorm2d(out));
  conv2 = register_module("conv2", nn::Conv2d(conv3x3(out, out, 1)));
  if (stride != 1 || in != out) {
    shortcut = register_module(
        "shortcut", nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
  }
}

torch::Tensor PreActBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1->forward(x));
  torch::Tensor skip = shortcut ? shortcut->forward(out) : x;
  out = conv1->forward(out);
  out = conv2->forward(torch::relu(bn2->forward(out)));
  return out + skip;
}

static std::vector<int64_t> resnet_widths(std::vector<int64_t> widths) {
  return widths.empty() ? std::vector<int64_t>{64, 128, 256, 512} : widths;
}

PreActResNet18::PreActResNet18(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, bool final_bn)
    : PrunableNet("preact_resnet18", resnet_widths(widths).back()) {
  widths = resnet_widths(widths);
  if (widths.size() != 4) throw InputError("model.widths: preact_resnet18 takes 4 stage widths");
  stem_ = register_module("stem", nn::Conv2d(conv3x3(in.channels, widths[0], 1)));
  int64_t c = widths[0];
  for (size_t stage = 0; stage < 4; ++stage) {
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      blocks_.push_back(register_module(
          "layer" + std::to_string(stage + 1) + "_" + std::to_string(b),
          PreActBlock(c, widths[stage], stride)));
      c = widths[stage];
    }
  }
  if (final_bn) bn_final_ = register_module("bn_final", nn::BatchNorm2d(c));
  fc_ = register_module("fc", nn::Linear(c, num_classes));
}

TrunkOutput PreActResNet18::trunk_raw(const torch::Tensor& x) {
  torch::Tensor h = stem_->forward(x);
  for (auto& block : blocks_) h = block->forward(h);
  if (bn_final_) h = torch::relu(bn_final_->forward(h));
  return {torch::adaptive_avg_pool2d(h, {1, 1}), {}};
}

}  // namespace fineprune
