// Fine-tuning (PAPER.md): train a copy of the backdoored model on the defender's clean data with
// the `finetune:` settings. Nothing is pruned.
#include "common/experiment_spec.h"
#include "workers/defenses/defense_unit.h"
#include "workers/training/trainer.h"

namespace fineprune {

namespace {

DefenseOutput finetune(const DefenseInput& in) {
  DefenseOutput out;
  out.model = in.recipe.copy_of(in.model);
  train_model(*out.model, in.clean, in.spec.finetune, in.seed + 2, in.context, "finetune");
  out.finetune_epochs = static_cast<double>(in.spec.finetune.epochs);
  return out;
}

}  // namespace

FINEPRUNE_DEFENSE_UNIT(finetune, finetune);

}  // namespace fineprune
