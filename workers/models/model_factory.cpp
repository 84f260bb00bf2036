// Model construction by name.
#include "workers/models/model_factory.h"

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/models/checkpoint.h"
#include "workers/models/deepid.h"
#include "workers/models/preact_resnet18.h"
#include "workers/models/vgg.h"

namespace fineprune {

std::shared_ptr<PrunableNet> make_model(const ModelSpec& spec, ImageShape in, int64_t num_classes) {
  if (spec.name == "small_cnn") {
    return std::make_shared<SmallCnn>(in, num_classes, spec.widths, spec.hidden, small_cnn_head_from_string(spec.head));
  }
  if (spec.name == "vgg") return std::make_shared<Vgg>(in, num_classes, spec.widths, spec.hidden);
  if (spec.name == "preact_resnet18") {
    return std::make_shared<PreActResNet18>(in, num_classes, spec.widths);
  }
  if (spec.name == "deepid") return std::make_shared<DeepId>(in, num_classes, spec.widths, spec.hidden);
  throw InputError("model.name: unknown model '" + spec.name + "'");
}

std::shared_ptr<PrunableNet> ModelRecipe::copy_of(PrunableNet& source) const {
  auto model = make();
  copy_weights(source, *model);
  model->train(source.is_training());
  return model;
}

}  // namespace fineprune
