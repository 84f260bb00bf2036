// The VGG-style 32x32 colour network.
#include "workers/models/vgg.h"

#include "common/error.h"

namespace fineprune {

namespace nn = torch::nn;

static std::vector<int64_t> vgg_widths(std::vector<int64_t> widths) {
  return widths.empty() ? std::vector<int64_t>{64, 64, 128, 128, 256, 256} : widths;
}

Vgg::Vgg(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden)
    : PrunableNet("vgg", vgg_widths(widths).back()) {
  widths = vgg_widths(widths);
  if (hidden == 0) hidden = 256;
  int64_t c = in.channels, h = in.height, w = in.width;
  for (size_t i = 0; i < widths.size(); ++i) {
    convs_.push_back(register_module("conv" + std::to_string(i + 1),
                                     nn::Conv2d(nn::Conv2dOptions(c, widths[i], 3).padding(1))));
    bns_.push_back(register_module("bn" + std::to_string(i + 1), nn::BatchNorm2d(widths[i])));
    c = widths[i];
    if (pools_after(i, widths.size())) {
      h /= 2;
      w /= 2;
    }
  }
  if (h < 1 || w < 1) throw InputError("model.widths: too many pooling stages for the image size");
  fc1_ = register_module("fc1", nn::Linear(c * h * w, hidden));
  fc2_ = register_module("fc2", nn::Linear(hidden, num_classes));
}

TrunkOutput Vgg::trunk_raw(const torch::Tensor& x) {
  torch::Tensor h = x;
  for (size_t i = 0; i < convs_.size(); ++i) {
    h = torch::relu(bns_[i]->forward(convs_[i]->forward(h)));
    if (pools_after(i, convs_.size())) h = torch::max_pool2d(h, 2);
  }
  return {h, {}};
}

torch::Tensor Vgg::head_rest(const torch::Tensor& z) {
  return fc2_->forward(torch::relu(z));
}

}  // namespace fineprune
