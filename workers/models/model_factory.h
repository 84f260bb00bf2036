// Builds a model by its spec name; the one place that knows every model.
#pragma once

#include <memory>

#include "common/experiment_spec.h"
#include "workers/models/small_cnn.h"

namespace fineprune {

// Throws InputError for an unknown name or widths the model cannot take.
std::shared_ptr<PrunableNet> make_model(const ModelSpec& spec, ImageShape in, int64_t num_classes);

// Everything needed to build a model again: used to copy one (a defense works on a copy, the
// backdoored model stays as it was).
struct ModelRecipe {
  ModelSpec spec;
  ImageShape shape;
  int64_t num_classes;

  std::shared_ptr<PrunableNet> make() const { return make_model(spec, shape, num_classes); }
  std::shared_ptr<PrunableNet> copy_of(PrunableNet& source) const;
};

}  // namespace fineprune
