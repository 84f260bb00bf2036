// The pruning-aware attack.
#include "workers/experiment/pruning_aware_attack.h"

#include "workers/defenses/pruning.h"

namespace fineprune {

PruningAwareOutcome train_pruning_aware(PrunableNet& model, const ModelRecipe& recipe,
                                        const TensorSet& clean_train, const TensorSet& poisoned_train,
                                        const TrainSpec& training, const PruningAwareSpec& attack,
                                        uint64_t seed, const ExecutionContext& context) {
  PruningAwareOutcome out;
  TrainSpec clean_spec = training;
  if (attack.clean_epochs > 0) clean_spec.epochs = attack.clean_epochs;
  out.clean_training = train_model(model, clean_train, clean_spec, seed, context, "clean");

  // Step 2: the defender's own pruning rule, on the attacker's clean data only.
  EvalData held;
  held.validation = clean_train.slice(0, std::min<int64_t>(5000, clean_train.size()));
  held.test = held.validation.slice(0, 0);
  held.triggered = {held.test.x, held.test.y, held.test.y, held.test.y.ne(held.test.y)};
  const std::vector<int64_t> order = pruning_order(model, held.validation.x, context.parallel);
  const std::vector<CurvePoint> curve = pruning_curve(model, held, order, context.parallel);
  const size_t stop = stopping_point(curve, attack.max_val_drop);
  out.decoys.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(stop));

  // Step 3: train the pruned network on the poisoned data.
  const std::shared_ptr<PrunableNet> clean = recipe.copy_of(model);
  model.prune_channels(out.decoys);
  out.poisoned_training = train_model(model, poisoned_train, training, seed + 1, context, "poisoned");

  // Step 4: reinstate the decoys, dormant.
  model.restore_channels_from(*clean, out.decoys);
  model.unmask_channels(out.decoys);
  model.lower_bias(out.decoys, attack.bias_decrease);
  return out;
}

}  // namespace fineprune
