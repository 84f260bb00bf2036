// Model construction by name.
#include "workers/models/model_factory.h"

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/models/checkpoint.h"
#include "workers/models/deepid.h"
#include "workers/models/preact_resnet18.h"
#include "workers/models/vgg.h"

namespace fineprune {

namespace {

std::shared_ptr<PrunableNet> make_network(const ModelSpec& spec, ImageShape in, int64_t num_classes) {
  if (spec.name == "small_cnn") {
    return std::make_shared<SmallCnn>(in, num_classes, spec.widths, spec.hidden, small_cnn_head_from_string(spec.head));
  }
  if (spec.name == "vgg") return std::make_shared<Vgg>(in, num_classes, spec.widths, spec.hidden);
  if (spec.name == "preact_resnet18") {
    return std::make_shared<PreActResNet18>(in, num_classes, spec.widths, spec.final_bn);
  }
  if (spec.name == "deepid") return std::make_shared<DeepId>(in, num_classes, spec.widths, spec.hidden);
  throw InputError("model.name: unknown model '" + spec.name + "'");
}

}  // namespace

std::shared_ptr<PrunableNet> make_model(const ModelSpec& spec, ImageShape in, int64_t num_classes) {
  std::shared_ptr<PrunableNet> model = make_network(spec, in, num_classes);
  if (!spec.input_mean.empty() && static_cast<int64_t>(spec.input_mean.size()) != in.channels) {
    throw InputError("model.input_mean: " + std::to_string(spec.input_mean.size()) + " values, the images have " +
                     std::to_string(in.channels) + " channels");
  }
  model->set_input_normalization(spec.input_mean, spec.input_std);
  return model;
}

std::shared_ptr<PrunableNet> ModelRecipe::copy_of(PrunableNet& source) const {
  auto model = make();
  copy_weights(source, *model);
  model->train(source.is_training());
  return model;
}

}  // namespace fineprune
