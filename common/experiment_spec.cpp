// Per-attack settings.
#include "common/experiment_spec.h"

namespace fineprune {

ExperimentSpec spec_for_attack(const ExperimentSpec& spec, const AttackSpec& attack) {
  ExperimentSpec out = spec;
  if (attack.training) out.training = *attack.training;
  if (attack.finetune) out.finetune = *attack.finetune;
  if (attack.pruning) out.pruning = *attack.pruning;
  return out;
}

}  // namespace fineprune
