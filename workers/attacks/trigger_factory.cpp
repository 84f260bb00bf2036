// Builds triggers from their spec: patch and checkerboard squares, blends, shaped masks, SIG, WaNet.
#include <string>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/attacks/trigger.h"
#include "workers/data/picture_file.h"

namespace fineprune {

namespace F = torch::nn::functional;

namespace {

// A picture file as a [C, H, W] tensor resized to the images' size and channel count.
torch::Tensor picture_as(const std::string& path, ImageShape shape) {
  const Picture pic = load_picture(path);
  torch::Tensor t = torch::from_blob(const_cast<float*>(pic.pixels.data()),
                                     {1, pic.channels, pic.height, pic.width}, torch::kFloat32)
                        .clone();
  if (pic.height != shape.height || pic.width != shape.width) {
    t = F::interpolate(t, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{shape.height, shape.width})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  if (pic.channels != shape.channels) {
    t = t.mean(1, true).expand({1, shape.channels, shape.height, shape.width});
  }
  return t.squeeze(0).clamp(0, 1).contiguous();
}

std::unique_ptr<Trigger> make_patch(const TriggerSpec& s, ImageShape shape) {
  const int64_t margin = s.position == "center" ? 0 : s.margin;  // a centred patch has none
  if (s.size + margin > shape.height || s.size + margin > shape.width) {
    throw InputError("trigger.size: a " + std::to_string(s.size) + "-pixel patch with margin " +
                     std::to_string(s.margin) + " does not fit " + std::to_string(shape.height) +
                     "x" + std::to_string(shape.width) + " images");
  }
  const bool top = s.position.rfind("top", 0) == 0;
  const bool left = s.position.find("left") != std::string::npos;
  int64_t row = top ? s.margin : shape.height - s.margin - s.size;
  int64_t col = left ? s.margin : shape.width - s.margin - s.size;
  if (s.position == "center") {  // over the object, as the paper's triggers are
    row = (shape.height - s.size) / 2;
    col = (shape.width - s.size) / 2;
  }
  torch::Tensor mask = torch::zeros({1, shape.height, shape.width});
  torch::Tensor pattern = torch::zeros({shape.channels, shape.height, shape.width});
  mask.slice(1, row, row + s.size).slice(2, col, col + s.size).fill_(1.0);
  for (int64_t i = 0; i < s.size; ++i) {
    for (int64_t j = 0; j < s.size; ++j) {
      const bool on = s.style == "solid" || (i + j) % 2 == 0;
      pattern.select(1, row + i).select(1, col + j).fill_(on ? s.value : 0.0);
    }
  }
  return std::make_unique<MaskPatternTrigger>(mask, pattern);
}

std::unique_ptr<Trigger> make_blend(const TriggerSpec& s, ImageShape shape) {
  torch::Tensor pattern;
  if (s.pattern == "image") {
    pattern = picture_as(s.image, shape);
  } else {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(s.pattern_seed));
    pattern = torch::rand({shape.channels, shape.height, shape.width}, gen);
  }
  return std::make_unique<MaskPatternTrigger>(torch::full({1, shape.height, shape.width}, s.alpha),
                                              pattern);
}

// The picture's intensity is the mask (a bright pair of glasses on black marks where the trigger
// goes); the pattern is a solid `value`.
std::unique_ptr<Trigger> make_shaped_mask(const TriggerSpec& s, ImageShape shape) {
  const torch::Tensor mask = picture_as(s.image, shape).mean(0, true);
  return std::make_unique<MaskPatternTrigger>(
      mask, torch::full({shape.channels, shape.height, shape.width}, s.value));
}

}  // namespace

std::unique_ptr<Trigger> make_trigger(const TriggerSpec& spec, ImageShape shape) {
  if (spec.type == "patch") return make_patch(spec, shape);
  if (spec.type == "blend") return make_blend(spec, shape);
  if (spec.type == "mask") return make_shaped_mask(spec, shape);
  if (spec.type == "sig") return std::make_unique<SigTrigger>(shape, spec.delta, spec.frequency);
  if (spec.type == "wanet") {
    return std::make_unique<WanetTrigger>(shape, spec.k, spec.strength,
                                          static_cast<uint64_t>(spec.pattern_seed));
  }
  throw InputError("trigger.type: unknown trigger '" + spec.type + "'");
}

}  // namespace fineprune
