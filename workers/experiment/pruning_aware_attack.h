// The pruning-aware attack of PAPER.md as a training procedure around any trigger:
// 1. train on clean data; 2. prune the channels dormant on the attacker's clean data until clean
// accuracy would drop by more than the attacker's threshold; 3. train the pruned network on the
// poisoned data; 4. reinstate the pruned channels (their clean weights back) with the bias
// lowered, so they stay dormant and the defender prunes these decoys first.
#pragma once

#include <vector>

#include "workers/models/model_factory.h"
#include "workers/training/trainer.h"

namespace fineprune {

struct PruningAwareOutcome {
  std::vector<int64_t> decoys;  // the channels pruned in step 2 and reinstated in step 4
  TrainStats clean_training;
  TrainStats poisoned_training;
};

// Runs the four steps on `model` (freshly initialised). The attacker's clean accuracy in step 2 is
// measured on up to 5,000 images of its own clean training data.
PruningAwareOutcome train_pruning_aware(PrunableNet& model, const ModelRecipe& recipe,
                                        const TensorSet& clean_train, const TensorSet& poisoned_train,
                                        const TrainSpec& training, const PruningAwareSpec& attack,
                                        uint64_t seed, const ExecutionContext& context = {});

}  // namespace fineprune
