// Sweep file -> task graph (order, dependencies and cost estimates: see sweep_expansion.h).
#include "common/sweep_expansion.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "common/defense_catalog.h"
#include "common/error.h"
#include "common/task_key.h"

namespace fineprune {

namespace {

double train_cost(const ExperimentSpec& spec, const AttackSpec& attack) {
  double epochs = static_cast<double>(spec.training.epochs);
  if (attack.pruning_aware.enabled) {
    const int64_t clean = attack.pruning_aware.clean_epochs > 0 ? attack.pruning_aware.clean_epochs
                                                                : spec.training.epochs;
    epochs += static_cast<double>(clean);
  }
  return epochs * estimated_training_images(spec.data);
}

// Image-epochs of a defense task: its descriptor's estimate in passes over the validation set.
double defense_cost(const ExperimentSpec& spec, const DefenseInfo& info, double validation) {
  return info.cost_passes(settings_of(spec, info.name), spec.finetune.epochs, validation) * validation;
}

}  // namespace

double estimated_training_images(const DataSpec& data) {
  double images = 0;
  if (data.train_subset > 0) {
    images = static_cast<double>(data.train_subset);
  } else if (data.format == "idx") {
    images = 60000;
  } else if (data.format == "cifar10") {
    images = 10000.0 * static_cast<double>(data.train_batches.size());
  } else {
    images = 50000;
  }
  return std::max(1.0, images - static_cast<double>(data.validation_size));
}

std::vector<Task> expand_sweep(const ExperimentSpec& spec, const std::string& program_version) {
  // The listed defenses in catalog order: the curve task first (if none or prune is listed),
  // then each other defense's tasks.
  bool curve = false;
  std::vector<const DefenseInfo*> own_tasks;
  for (const DefenseInfo& info : defense_catalog()) {
    if (!lists_defense(spec, info.name)) continue;
    if (info.tasks == DefenseTasks::Curve) {
      curve = true;
    } else {
      own_tasks.push_back(&info);
    }
  }
  if (!curve && own_tasks.empty()) return {};

  const double validation = static_cast<double>(spec.data.validation_size);
  // Each (model, attack) pair's tasks are keyed and costed with its own settings: that model,
  // the attack's overrides.
  const std::vector<ModelSpec> models = sweep_models(spec);
  std::vector<std::vector<ExperimentSpec>> pair_specs(models.size());
  for (size_t m = 0; m < models.size(); ++m) {
    const ExperimentSpec with_model = spec_for_model(spec, m);
    for (const AttackSpec& attack : spec.attacks) pair_specs[m].push_back(spec_for_attack(with_model, attack));
  }

  std::vector<Task> tasks;
  for (int64_t seed : spec.seeds) {
    for (size_t m = 0; m < models.size(); ++m) {
      for (size_t a = 0; a < spec.attacks.size(); ++a) {
        const AttackSpec& attack = spec.attacks[a];
        const ExperimentSpec& as = pair_specs[m][a];
        Task base;
        base.model_index = m;
        base.model = model_label(models[m]);
        base.attack_index = a;
        base.attack = attack.name;
        base.seed = seed;

        Task train = base;
        train.kind = TaskKind::Train;
        train.key = train_key(as, attack, seed, program_version);
        train.cost = train_cost(as, attack);
        tasks.push_back(train);

        base.deps = {train.key};
        if (curve) {
          Task t = base;
          t.kind = TaskKind::Curve;
          t.key = curve_key(as, train.key);
          t.cost = validation;
          tasks.push_back(std::move(t));
        }
        for (const DefenseInfo* info : own_tasks) {
          Task t = base;
          t.kind = TaskKind::Defend;
          t.defense = info->name;
          t.cost = defense_cost(as, *info, validation);
          if (!info->per_prune_setting) {
            t.key = defense_key(as, train.key, info->name, "", 0);
            tasks.push_back(std::move(t));
            continue;
          }
          for (double drop : as.pruning.max_val_drops) {
            t.prune_mode = "stop";
            t.prune_rate = 0;
            t.stop_drop = drop;
            t.key = defense_key(as, train.key, info->name, "stop", drop);
            tasks.push_back(t);
          }
          for (double r : as.pruning.rates) {
            t.prune_mode = "rate";
            t.prune_rate = r;
            t.stop_drop = 0;
            t.key = defense_key(as, train.key, info->name, "rate", r);
            tasks.push_back(t);
          }
        }
      }
    }
  }

  std::unordered_set<std::string> seen;
  seen.reserve(tasks.size());
  for (const Task& t : tasks) {
    if (!seen.insert(t.key).second) {
      throw Error("expand_sweep: two tasks share the key " + t.key + " (" + task_kind_name(t) +
                  ", model '" + t.model + "', attack '" + t.attack + "', seed " + std::to_string(t.seed) +
                  "): the sweep repeats an attack or a seed");
    }
  }
  return tasks;
}

}  // namespace fineprune
