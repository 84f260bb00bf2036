// The whole up-front check of an experiment before any work: its data (data_check.h), then what
// the model and the triggers need of that data, each tried for real on a zero batch. One call,
// made by `experiment`, `plan` and rank 0 of `run`, so the three refuse the same inputs.
#pragma once

#include "common/experiment_spec.h"
#include "workers/data/data_check.h"

namespace fineprune {

// check_data, then: the model built for the data's image shape and classes and run forward
// once on a batch of zeros (a model that needs bigger images, widths of the wrong length);
// each attack's trigger built for that shape and applied to a zero image (a patch that does
// not fit, a trigger picture that does not load); each attack's received model (model_file)
// read, its bytes hashed against model_sha256 and loaded into every model of the sweep. Throws ConfigError "<spec file>: <key path>:
// <problem>" (model..., attacks[i].trigger...); LibTorch's own errors are translated, never
// passed on. Reads the data files once; no training.
DataFacts check_inputs(const ExperimentSpec& spec);

}  // namespace fineprune
