// Fine-pruning (PAPER.md): prune a copy of the backdoored model's last conv to the task's pruning
// setting (a stopping point or a fixed rate, from the model's pruning plan), then fine-tune it on
// the defender's clean data with the `finetune:` settings, pruned channels held at zero.
#include <vector>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/defenses/defense_unit.h"
#include "workers/training/trainer.h"

namespace fineprune {

namespace {

DefenseOutput fineprune(const DefenseInput& in) {
  const PruningPlan& plan = in.plan();
  DefenseOutput out;
  if (in.prune_mode == "stop") {
    out.setting = stop_setting(plan, in.stop_drop);
  } else if (in.prune_mode == "rate") {
    out.setting = rate_setting(plan, in.model, in.prune_rate);
  } else {
    throw Error("fineprune: the task names no pruning setting (prune_mode '" + in.prune_mode + "')");
  }
  out.model = in.recipe.copy_of(in.model);
  out.model->prune_channels(std::vector<int64_t>(plan.order.begin(), plan.order.begin() + out.setting.channels));
  train_model(*out.model, in.clean, in.spec.finetune, in.seed + 2, in.context, "fineprune");
  out.finetune_epochs = static_cast<double>(in.spec.finetune.epochs);
  out.shared_wall_s = plan.wall_s;
  return out;
}

}  // namespace

FINEPRUNE_DEFENSE_UNIT(fineprune, fineprune);

}  // namespace fineprune
