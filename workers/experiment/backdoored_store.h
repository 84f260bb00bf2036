// Trained backdoored models on disk, so that every defense task of a sweep reuses one training:
// `<dir>/<key>.pt` (the weights, prune mask included) and `<dir>/<key>.meta` (training wall time
// and the pruning-aware attack's decoy channels), both written atomically.
#pragma once

#include <string>

#include "workers/experiment/experiment_runner.h"

namespace fineprune {

void save_backdoored(const BackdooredModel& model, const std::string& dir, const std::string& key);

// True when both files of `key` exist.
bool has_backdoored(const std::string& dir, const std::string& key);

// Rebuilds the model saved under `key` for this attack and seed: weights from the checkpoint,
// evaluation sets recomputed from the data and the trigger. Throws IoError naming a missing or
// corrupt file.
BackdooredModel load_backdoored(const ExperimentSpec& spec, const AttackSpec& attack,
                                const SeedData& data, const std::string& dir, const std::string& key);

}  // namespace fineprune
