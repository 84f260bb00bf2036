// The shipped configs: each validates (the spec loader checks every key and value, but never
// opens data files, so the CIFAR-10 and YouTube-Faces templates are checked here without their
// data), expands into a sweep, and names trigger pictures that load. The paper-analog sweep has
// what issue 6 asks of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "common/sweep_expansion.h"
#include "workers/data/picture_file.h"

namespace fineprune {
namespace {

namespace fs = std::filesystem;

const fs::path kConfigs = fs::path(FINEPRUNE_SOURCE_DIR) / "configs";

std::vector<std::string> config_files() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(kConfigs)) {
    if (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Configs, TheShippedOnesAreThere) {
  std::vector<std::string> names;
  for (const std::string& f : config_files()) names.push_back(fs::path(f).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"cifar10-preact-resnet18.yaml", "defend-cifar10-backdoorbench.yaml",
                                             "defend-fmnist-small-cnn.yaml", "fmnist-defenses.yaml",
                                             "fmnist-demo.yaml", "fmnist-experiment.yaml",
                                             "fmnist-paper.yaml", "fmnist-where-fp-works.yaml",
                                             "youtube-faces-deepid.yaml"}));
}

// The study sweeps of docs/RESULTS.md (configs/study/): each validates and expands, and the run
// command in its header names the file itself, so the command shown beside a table still runs.
TEST(Configs, EveryStudySweepValidatesExpandsAndNamesItselfInItsCommand) {
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(kConfigs / "study")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    const std::string file = entry.path().string();
    SCOPED_TRACE(file);
    ExperimentSpec spec;
    ASSERT_NO_THROW(spec = load_experiment_spec(file));
    std::vector<Task> tasks;
    ASSERT_NO_THROW(tasks = expand_sweep(spec, "test"));
    EXPECT_GE(tasks.size(), sweep_models(spec).size() * spec.attacks.size() * spec.seeds.size());
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("fineprune run configs/study/" + entry.path().filename().string()), std::string::npos);
  }
  EXPECT_GE(files, 10u);
}

TEST(Configs, EveryOneValidatesExpandsAndItsTriggerPicturesLoad) {
  for (const std::string& file : config_files()) {
    SCOPED_TRACE(file);
    ExperimentSpec spec;
    ASSERT_NO_THROW(spec = load_experiment_spec(file));
    std::vector<Task> tasks;
    ASSERT_NO_THROW(tasks = expand_sweep(spec, "test"));
    // Per model, attack and seed: train, curve, and each other defense's tasks (fineprune: one
    // per stop and rate; the others one).
    size_t per_model = 2;
    for (const std::string& d : spec.defenses) {
      if (d == "none" || d == "prune") continue;
      per_model += d == "fineprune" ? spec.pruning.max_val_drops.size() + spec.pruning.rates.size() : 1;
    }
    EXPECT_EQ(tasks.size(), sweep_models(spec).size() * spec.attacks.size() * spec.seeds.size() * per_model);
    for (const AttackSpec& a : spec.attacks) {
      if (a.trigger.image.empty()) continue;
      SCOPED_TRACE(a.name + ": " + a.trigger.image);
      EXPECT_NO_THROW(load_picture(a.trigger.image));
    }
  }
}

TEST(Configs, PaperAnalogSweepHasEveryAttackKindFiveSeedsAndRatesToPointNine) {
  const ExperimentSpec spec = load_experiment_spec((kConfigs / "fmnist-paper.yaml").string());
  std::set<std::string> triggers;
  int all_to_all = 0, pruning_aware = 0;
  for (const AttackSpec& a : spec.attacks) {
    triggers.insert(a.trigger.type);
    all_to_all += a.target.mode == "all_to_all";
    pruning_aware += a.pruning_aware.enabled;
  }
  EXPECT_EQ(triggers, (std::set<std::string>{"patch", "blend", "mask", "sig", "wanet"}));
  EXPECT_EQ(all_to_all, 1);
  EXPECT_EQ(pruning_aware, 1);
  EXPECT_EQ(spec.seeds.size(), 5u);
  ASSERT_FALSE(spec.pruning.rates.empty());
  EXPECT_EQ(spec.pruning.rates.front(), 0.0);
  EXPECT_EQ(spec.pruning.rates.back(), 0.9);
  EXPECT_EQ(spec.defenses, (std::vector<std::string>{"none", "prune", "finetune", "fineprune"}));
  EXPECT_EQ(spec.data.format, "idx");
}

// The received-model template: BackdoorBench's network (no final BatchNorm) and its CIFAR-10
// normalisation, a trigger, and no model_file (fineprune defend gives it).
TEST(Configs, DefendTemplateIsTheBenchmarksNetwork) {
  const ExperimentSpec spec = load_experiment_spec((kConfigs / "defend-cifar10-backdoorbench.yaml").string());
  EXPECT_EQ(spec.data.format, "cifar10");
  EXPECT_EQ(spec.model.name, "preact_resnet18");
  EXPECT_FALSE(spec.model.final_bn);
  EXPECT_EQ(spec.model.input_mean, (std::vector<double>{0.4914, 0.4822, 0.4465}));
  EXPECT_EQ(spec.model.input_std, (std::vector<double>{0.247, 0.243, 0.261}));
  ASSERT_EQ(spec.attacks.size(), 1u);
  EXPECT_TRUE(spec.attacks[0].model_file.empty());
  EXPECT_GE(spec.seeds.size(), 3u);
}

TEST(Configs, ClusterTemplatesUseTheirDatasetsAndNetworks) {
  const ExperimentSpec cifar = load_experiment_spec((kConfigs / "cifar10-preact-resnet18.yaml").string());
  EXPECT_EQ(cifar.data.format, "cifar10");
  EXPECT_EQ(cifar.model.name, "preact_resnet18");
  const ExperimentSpec faces = load_experiment_spec((kConfigs / "youtube-faces-deepid.yaml").string());
  EXPECT_EQ(faces.data.format, "hdf5");
  EXPECT_EQ(faces.data.num_classes, 1283);
  EXPECT_EQ(faces.model.name, "deepid");
  ASSERT_FALSE(faces.attacks.empty());
  EXPECT_EQ(faces.attacks.front().trigger.type, "mask");
}

// Issue 11's study as one file: the three heads of small_cnn as a `models:` list, 180 tasks.
TEST(Configs, WhereFinePruningWorksListsTheThreeHeadsAndExpandsTo180Tasks) {
  const ExperimentSpec spec = load_experiment_spec((kConfigs / "fmnist-where-fp-works.yaml").string());
  std::vector<std::string> labels, heads;
  for (const ModelSpec& m : sweep_models(spec)) {
    labels.push_back(model_label(m));
    heads.push_back(m.head);
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"flatten", "max_pool", "global_pool"}));
  EXPECT_EQ(heads, labels);
  const std::vector<Task> tasks = expand_sweep(spec, "v1");
  EXPECT_EQ(tasks.size(), 180u);
  std::set<std::string> keys;
  for (const Task& t : tasks) keys.insert(t.key);
  EXPECT_EQ(keys.size(), tasks.size());
}

}  // namespace
}  // namespace fineprune
