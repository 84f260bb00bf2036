// Models as a sweep axis: expansion and keys across a `models:` list, and the keys of a file
// with the single `model:` section pinned to what they were before the axis existed.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"
#include "common/task_key.h"
#include "tests/orchestrator/sweep_fixtures.h"

namespace fineprune {
namespace {

// The orchestrator tests' sweep (a single `model:` section) with its model replaced by a list.
std::string with_models(const std::string& models) {
  std::string yaml = test::kSweepYaml;
  const std::string single = "model: {name: small_cnn, widths: [32, 64, 64], hidden: 128}\n";
  yaml.replace(yaml.find(single), single.size(), models);
  return yaml;
}

const char* kTwoHeads =
    "models:\n"
    "  - {name: flatten, arch: small_cnn, widths: [32, 64, 64], hidden: 128}\n"
    "  - {name: max_pool, arch: small_cnn, widths: [32, 64, 64], hidden: 128, head: max_pool}\n";

// Computed with the code before `models:` existed (commit 369d6ee): a file with the single
// `model:` section keeps every key and its fingerprint, so its results files resume as they did.
TEST(ModelAxis, SingleModelFileKeysArePinned) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  ASSERT_EQ(tasks.size(), 36u);
  const std::vector<std::string> pinned = {
      "cb4194025208701f33ebe18c0acee3d4066796451ec3bb49025743785deaae0d",  // train badnets seed 1
      "108dcf15a454d37f306e06d8e105e41ee3408b48a8eb249f3456c27a94e8c299",  // curve
      "47b8b1a0ae920ccebb8418dc5e8537ccbc4feebdb1e24026345b9cfdb6903602",  // finetune
      "2a91e4996b7c050b354ab90ef92f33e434061eadeff36596a82867b280a8d890",  // fineprune stop
      "4e52fa25073f076356b6dbcd808a9d5d45fbee9bb5c6317cbdd18393c3f31601",  // fineprune rate 0.5
      "f7057d7ec0603fc2b1ca9b3d0b5f2ce524e261601eda2166576a0a6580f168d8"};  // fineprune rate 0.8
  for (size_t i = 0; i < pinned.size(); ++i) EXPECT_EQ(tasks[i].key, pinned[i]) << i;
  EXPECT_EQ(sweep_fingerprint(spec), "be56ec1f77ccdc2efc8131d599dd285c489b94efe1ad55092ddcd53fda4d999d");
  for (const Task& t : tasks) {
    EXPECT_EQ(t.model_index, 0u);
    EXPECT_EQ(t.model, "small_cnn");  // the label of the single section: its architecture
  }
}

TEST(ModelAxis, ModelsEntryLabelledByItsArchitectureSharesTheSingleSectionsKeys) {
  const ExperimentSpec listed = parse_experiment_spec(
      with_models("models:\n  - {name: small_cnn, arch: small_cnn, widths: [32, 64, 64], hidden: 128}\n"),
      "sweep.yaml");
  const std::vector<Task> a = expand_sweep(listed, "v1");
  const std::vector<Task> b = expand_sweep(test::sweep_spec(), "v1");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key) << i;
}

TEST(ModelAxis, ExpansionMultipliesByModelWithDistinctKeys) {
  const ExperimentSpec spec = parse_experiment_spec(with_models(kTwoHeads), "sweep.yaml");
  ASSERT_EQ(sweep_models(spec).size(), 2u);
  EXPECT_EQ(model_label(spec.model), "flatten");  // the first, until spec_for_model says otherwise
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  ASSERT_EQ(tasks.size(), 72u);  // 2 models x the single-model file's 36
  std::map<std::string, size_t> per_model;
  std::set<std::string> keys;
  std::map<std::string, std::string> model_of_key;
  for (const Task& t : tasks) {
    ++per_model[t.model];
    keys.insert(t.key);
    model_of_key[t.key] = t.model;
    EXPECT_EQ(t.model, t.model_index == 0 ? "flatten" : "max_pool");
  }
  EXPECT_EQ(per_model["flatten"], 36u);
  EXPECT_EQ(per_model["max_pool"], 36u);
  EXPECT_EQ(keys.size(), 72u);
  // Order: seed, then model, then attack; a defense task depends on its own model's training.
  EXPECT_EQ(tasks[0].model, "flatten");
  EXPECT_EQ(tasks[18].model, "max_pool");
  EXPECT_EQ(tasks[18].seed, tasks[0].seed);
  for (const Task& t : tasks) {
    for (const std::string& d : t.deps) EXPECT_EQ(model_of_key.at(d), t.model);
  }
  // The flatten entry has the single section's settings but a label of its own: its keys differ
  // (its rows say "flatten"), and the max_pool entry's differ from both.
  const std::vector<Task> single = expand_sweep(test::sweep_spec(), "v1");
  for (const Task& t : single) EXPECT_EQ(keys.count(t.key), 0u);
  // Keys follow the model's settings: a change to one model's head changes only its keys.
  const ExperimentSpec other = parse_experiment_spec(
      with_models(std::string(kTwoHeads).replace(std::string(kTwoHeads).find("head: max_pool"), 14,
                                                 "head: global_pool")),
      "sweep.yaml");
  const std::vector<Task> changed = expand_sweep(other, "v1");
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].model == "flatten") EXPECT_EQ(changed[i].key, tasks[i].key) << i;
    if (tasks[i].model == "max_pool") EXPECT_NE(changed[i].key, tasks[i].key) << i;
  }
  EXPECT_NE(sweep_fingerprint(spec), sweep_fingerprint(other));
  EXPECT_NE(sweep_fingerprint(spec), sweep_fingerprint(test::sweep_spec()));
}

TEST(ModelAxis, AddingAModelKeepsTheOthersKeys) {
  const ExperimentSpec one = parse_experiment_spec(
      with_models("models:\n  - {name: flatten, arch: small_cnn, widths: [32, 64, 64], hidden: 128}\n"),
      "sweep.yaml");
  const ExperimentSpec two = parse_experiment_spec(with_models(kTwoHeads), "sweep.yaml");
  std::set<std::string> keys_two;
  for (const Task& t : expand_sweep(two, "v1")) keys_two.insert(t.key);
  for (const Task& t : expand_sweep(one, "v1")) EXPECT_EQ(keys_two.count(t.key), 1u) << t.key;
}

TEST(ModelAxis, ShardsSplitAlongTheModelAxisAndCoverEveryTaskOnce) {
  const ExperimentSpec spec = parse_experiment_spec(with_models(kTwoHeads), "sweep.yaml");
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  EXPECT_EQ(family_count(tasks), 12u);  // 2 models x 3 attacks x 2 seeds
  std::multiset<std::string> covered;
  std::set<std::string> models_seen;
  for (int i = 0; i < 2; ++i) {
    Shard shard;
    shard.index = i;
    shard.count = 2;
    for (const Task& t : shard_tasks(tasks, shard)) {
      covered.insert(t.key);
      models_seen.insert(t.model);
    }
  }
  EXPECT_EQ(covered.size(), tasks.size());
  for (const Task& t : tasks) EXPECT_EQ(covered.count(t.key), 1u);
  EXPECT_EQ(models_seen.size(), 2u);
}

TEST(ModelAxis, SpecForModelPicksTheEntry) {
  const ExperimentSpec spec = parse_experiment_spec(with_models(kTwoHeads), "sweep.yaml");
  EXPECT_EQ(spec_for_model(spec, 1).model.head, "max_pool");
  EXPECT_EQ(model_label(spec_for_model(spec, 1).model), "max_pool");
  EXPECT_EQ(spec_for_model(spec, 0).model.head, "flatten");
  EXPECT_THROW(spec_for_model(spec, 2), Error);
  EXPECT_EQ(model_label(spec_for_model(test::sweep_spec(), 0).model), "small_cnn");
}

}  // namespace
}  // namespace fineprune
