// Finding the model a sweep trained and saved for one (model, attack, seed): what `channels` and
// `export` start from.
#pragma once

#include <cstdint>
#include <string>

#include "common/experiment_spec.h"

namespace fineprune {

struct SavedModelRef {
  ExperimentSpec spec;  // as it applies to the model and the attack (their overrides)
  AttackSpec attack;
  std::string dir;      // <run dir>/models
  std::string key;      // the training task's key: <dir>/<key>.pt and .meta
};

// `model_label` empty: the file's first model. `run_dir` empty: the sweep's default
// (<sweep name>.run). InputError naming the option (--attack, --model, --seed) that names
// nothing in the file, or the folder when the model is not saved there.
SavedModelRef find_saved_model(const ExperimentSpec& spec, const std::string& spec_path, const std::string& attack,
                               const std::string& model_label, int64_t seed, const std::string& run_dir);

}  // namespace fineprune
