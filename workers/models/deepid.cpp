// The DeepID-style face network.
#include "workers/models/deepid.h"

#include "common/error.h"

namespace fineprune {

namespace nn = torch::nn;

static std::vector<int64_t> deepid_widths(std::vector<int64_t> widths) {
  return widths.empty() ? std::vector<int64_t>{20, 40, 60, 80} : widths;
}

DeepId::DeepId(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden)
    : PrunableNet("deepid", deepid_widths(widths).back()) {
  widths = deepid_widths(widths);
  if (widths.size() != 4) throw InputError("model.widths: deepid takes 4 widths");
  if (hidden == 0) hidden = 160;
  conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in.channels, widths[0], 4)));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(widths[0], widths[1], 3)));
  conv3_ = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(widths[1], widths[2], 3)));
  conv4_ = register_module("conv4", nn::Conv2d(nn::Conv2dOptions(widths[2], widths[3], 2)));
  // Sizes after each valid conv and 2x2 pool, as in DeepID (55x47 -> 4x3 at conv4).
  const int64_t h3 = ((((in.height - 3) / 2) - 2) / 2 - 2) / 2, w3 = ((((in.width - 3) / 2) - 2) / 2 - 2) / 2;
  const int64_t h4 = h3 - 1, w4 = w3 - 1;
  if (h4 < 1 || w4 < 1) throw InputError("model: deepid needs images of at least 31x31");
  fc1_ = register_module("fc1", nn::Linear(widths[3] * h4 * w4 + widths[2] * h3 * w3, hidden));
  fc2_ = register_module("fc2", nn::Linear(hidden, num_classes));
}

TrunkOutput DeepId::trunk_raw(const torch::Tensor& x) {
  torch::Tensor h = torch::max_pool2d(torch::relu(conv1_->forward(x)), 2);
  h = torch::max_pool2d(torch::relu(conv2_->forward(h)), 2);
  torch::Tensor pool3 = torch::max_pool2d(torch::relu(conv3_->forward(h)), 2);
  return {torch::relu(conv4_->forward(pool3)), pool3};
}

torch::Tensor DeepId::head_rest(const torch::Tensor& z) {
  return fc2_->forward(torch::relu(z));
}

}  // namespace fineprune
