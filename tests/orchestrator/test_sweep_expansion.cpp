// Sweep expansion: how many tasks of each kind, their order, dependencies and costs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "common/sweep_expansion.h"
#include "common/task_key.h"
#include "tests/orchestrator/sweep_fixtures.h"

namespace fineprune {
namespace {

// Tasks per kind name: train, curve, or the defense's.
std::map<std::string, size_t> kinds(const std::vector<Task>& tasks) {
  std::map<std::string, size_t> n;
  for (const Task& t : tasks) ++n[task_kind_name(t)];
  return n;
}

TEST(SweepExpansion, CountsForFullSweep) {
  const std::vector<Task> tasks = expand_sweep(test::sweep_spec(), "v1");
  // 3 attacks x 2 seeds = 6 pairs; each: train, curve, finetune, fineprune x (stop + 2 rates).
  auto n = kinds(tasks);
  EXPECT_EQ(n["train"], 6u);
  EXPECT_EQ(n["curve"], 6u);
  EXPECT_EQ(n["finetune"], 6u);
  EXPECT_EQ(n["fineprune"], 18u);
  EXPECT_EQ(tasks.size(), 36u);
}

TEST(SweepExpansion, TrainCountIndependentOfDefensesAndRates) {
  ExperimentSpec spec = test::sweep_spec();
  const std::vector<std::vector<std::string>> defense_sets = {
      {"none"}, {"prune"}, {"finetune"}, {"fineprune"}, {"none", "finetune"},
      {"fineprune", "prune", "none", "finetune"}};
  for (const auto& defenses : defense_sets) {
    for (const std::vector<double>& rates : {std::vector<double>{}, {0.3}, {0.1, 0.2, 0.9}}) {
      spec.defenses = defenses;
      spec.pruning.rates = rates;
      auto n = kinds(expand_sweep(spec, "v1"));
      EXPECT_EQ(n["train"], 6u);
      const auto has = [&](const char* d) {
        return std::find(defenses.begin(), defenses.end(), d) != defenses.end();
      };
      EXPECT_EQ(n["curve"], has("none") || has("prune") ? 6u : 0u);
      EXPECT_EQ(n["finetune"], has("finetune") ? 6u : 0u);
      EXPECT_EQ(n["fineprune"], has("fineprune") ? 6u * (1 + rates.size()) : 0u);
    }
  }
}

TEST(SweepExpansion, OrderDepsAndFields) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  // Seeds outer, attacks inner; within a pair: train, curve, finetune, fineprune stop, rates.
  const std::vector<std::string> pattern = {"train", "curve", "finetune", "fineprune", "fineprune", "fineprune"};
  ASSERT_EQ(tasks.size(), 36u);
  for (size_t i = 0; i < tasks.size(); ++i) {
    const Task& t = tasks[i];
    const size_t pair = i / 6;
    EXPECT_EQ(task_kind_name(t), pattern[i % 6]) << i;
    EXPECT_EQ(t.seed, spec.seeds[pair / 3]) << i;
    EXPECT_EQ(t.attack_index, pair % 3) << i;
    EXPECT_EQ(t.attack, spec.attacks[pair % 3].name) << i;
    EXPECT_EQ(t.key.size(), 64u);
    const Task& train = tasks[pair * 6];
    if (t.kind == TaskKind::Train) {
      EXPECT_TRUE(t.deps.empty());
    } else {
      EXPECT_EQ(t.deps, std::vector<std::string>{train.key}) << i;
    }
  }
  // A stop task carries its threshold, a rate task its rate: never one in the other's field.
  EXPECT_EQ(tasks[3].prune_mode, "stop");
  EXPECT_DOUBLE_EQ(tasks[3].stop_drop, 0.04);
  EXPECT_EQ(tasks[3].prune_rate, 0.0);
  EXPECT_EQ(tasks[4].prune_mode, "rate");
  EXPECT_DOUBLE_EQ(tasks[4].prune_rate, 0.5);
  EXPECT_EQ(tasks[4].stop_drop, 0.0);
  EXPECT_EQ(tasks[5].prune_mode, "rate");
  EXPECT_DOUBLE_EQ(tasks[5].prune_rate, 0.8);
  EXPECT_EQ(tasks[0].prune_mode, "");
  EXPECT_EQ(tasks[1].prune_mode, "");

  std::set<std::string> keys;
  for (const Task& t : tasks) keys.insert(t.key);
  EXPECT_EQ(keys.size(), tasks.size());
}

TEST(SweepExpansion, Deterministic) {
  const std::vector<Task> a = expand_sweep(test::sweep_spec(), "v1");
  const std::vector<Task> b = expand_sweep(test::sweep_spec(), "v1");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].cost, b[i].cost);
  }
}

TEST(SweepExpansion, Costs) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  const double images = 60000 - 5000;
  EXPECT_DOUBLE_EQ(estimated_training_images(spec.data), images);
  EXPECT_DOUBLE_EQ(tasks[0].cost, 3 * images);        // badnets: training epochs
  EXPECT_DOUBLE_EQ(tasks[12].cost, (3 + 2) * images);  // pruning-aware: + clean epochs
  EXPECT_DOUBLE_EQ(tasks[1].cost, 5000);               // curve: one validation pass
  EXPECT_DOUBLE_EQ(tasks[2].cost, 5 * 5000);           // finetune epochs x validation
  EXPECT_DOUBLE_EQ(tasks[3].cost, 5 * 5000);
  // Pruning-aware without clean_epochs pre-trains for training.epochs.
  ExperimentSpec pa = spec;
  pa.attacks[2].pruning_aware.clean_epochs = 0;
  EXPECT_DOUBLE_EQ(expand_sweep(pa, "v1")[12].cost, 6 * images);
  // Trains dominate, the curve is the cheapest.
  EXPECT_GT(tasks[0].cost, tasks[2].cost);
  EXPECT_GT(tasks[2].cost, tasks[1].cost);

  DataSpec d;
  d.format = "cifar10";
  d.validation_size = 5000;
  EXPECT_DOUBLE_EQ(estimated_training_images(d), 45000);
  d.train_subset = 1000;
  EXPECT_DOUBLE_EQ(estimated_training_images(d), 1.0);  // never zero or negative
}

TEST(SweepExpansion, DuplicateRateRefused) {
  ExperimentSpec spec = test::sweep_spec();
  spec.pruning.rates = {0.5, 0.8, 0.5};  // the loader names the key; a spec built in code may not
  EXPECT_THROW(expand_sweep(spec, "v1"), Error);
}

// Per-attack overrides: the attack's tasks run and are keyed with its own settings; everything
// else keeps its key.
TEST(SweepExpansion, OverridesChangeOnlyThatAttacksTasksThatUseThem) {
  const ExperimentSpec plain = test::sweep_spec();
  ASSERT_GE(plain.attacks.size(), 2u);
  const std::vector<Task> before = expand_sweep(plain, "v1");
  const auto keys_of = [](const std::vector<Task>& tasks, const std::string& attack, const std::string& kind) {
    std::vector<std::string> keys;
    for (const Task& t : tasks) {
      if (t.attack == attack && task_kind_name(t) == kind) keys.push_back(t.key);
    }
    return keys;
  };
  const std::string first = plain.attacks[0].name, second = plain.attacks[1].name;

  ExperimentSpec tuned = plain;
  tuned.attacks[0].finetune = plain.finetune;
  tuned.attacks[0].finetune->epochs += 3;
  tuned.attacks[0].pruning = plain.pruning;
  tuned.attacks[0].pruning->rates = {0.25};
  const std::vector<Task> after = expand_sweep(tuned, "v1");
  EXPECT_EQ(keys_of(after, first, "train"), keys_of(before, first, "train"));
  EXPECT_NE(keys_of(after, first, "finetune"), keys_of(before, first, "finetune"));
  EXPECT_EQ(keys_of(after, first, "fineprune").size(), plain.seeds.size() * 2);  // stop + 0.25
  for (const Task& t : after) {
    if (t.attack == first && t.defense == "fineprune" && t.prune_mode == "rate") EXPECT_EQ(t.prune_rate, 0.25);
  }
  for (const std::string kind : {"train", "curve", "finetune", "fineprune"}) {
    EXPECT_EQ(keys_of(after, second, kind), keys_of(before, second, kind)) << kind;
  }
  EXPECT_NE(sweep_fingerprint(tuned), sweep_fingerprint(plain));

  // A training override retrains that attack (new train key, new cost), nothing else.
  ExperimentSpec longer = plain;
  longer.attacks[1].training = plain.training;
  longer.attacks[1].training->epochs *= 2;
  const std::vector<Task> retrained = expand_sweep(longer, "v1");
  EXPECT_NE(keys_of(retrained, second, "train"), keys_of(before, second, "train"));
  EXPECT_EQ(keys_of(retrained, first, "train"), keys_of(before, first, "train"));
  for (size_t i = 0; i < retrained.size(); ++i) {
    if (retrained[i].attack == second && retrained[i].kind == TaskKind::Train) {
      EXPECT_DOUBLE_EQ(retrained[i].cost, 2 * before[i].cost);
    }
  }
  // An override equal to the file's own setting changes no task key.
  ExperimentSpec same = plain;
  same.attacks[0].training = plain.training;
  const std::vector<Task> unchanged = expand_sweep(same, "v1");
  for (size_t i = 0; i < unchanged.size(); ++i) EXPECT_EQ(unchanged[i].key, before[i].key);
}

TEST(SweepExpansion, RepeatedAttackRefused) {
  ExperimentSpec spec = test::sweep_spec();
  spec.attacks.push_back(spec.attacks[0]);  // the loader refuses this; a spec built in code may not
  EXPECT_THROW(expand_sweep(spec, "v1"), Error);
}

TEST(SweepExpansion, NoDefenseTaskNoTrain) {
  ExperimentSpec spec = test::sweep_spec();
  spec.defenses.clear();
  EXPECT_TRUE(expand_sweep(spec, "v1").empty());
}

}  // namespace
}  // namespace fineprune
