// Content keys: stable under unrelated edits of the sweep, sensitive to everything that matters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "common/error.h"
#include "common/hash.h"
#include "common/canonical_text.h"
#include "common/sweep_expansion.h"
#include "common/task_key.h"
#include "tests/orchestrator/sweep_fixtures.h"

namespace fineprune {
namespace {

// A task's identity within a sweep, independent of its key: attack, seed, kind, setting.
std::string identity(const Task& t) {
  char setting[80];
  std::snprintf(setting, sizeof setting, "%.17g/%.17g", t.prune_rate, t.stop_drop);
  return t.attack + "/" + std::to_string(t.seed) + "/" + task_kind_name(t) + "/" + t.prune_mode +
         "/" + setting;
}

std::map<std::string, std::string> keys_of(const ExperimentSpec& spec,
                                           const std::string& version = "v1") {
  std::map<std::string, std::string> out;
  for (const Task& t : expand_sweep(spec, version)) out[identity(t)] = t.key;
  return out;
}

// Identities whose key differs between a and b (among those in both).
std::vector<std::string> changed(const std::map<std::string, std::string>& a,
                                 const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [id, key] : a) {
    const auto it = b.find(id);
    if (it != b.end() && it->second != key) out.push_back(id);
  }
  return out;
}

TEST(TaskKey, IndependentOfAttackPositionAndOtherAttacksAndSeeds) {
  const ExperimentSpec spec = test::sweep_spec();
  const auto base = keys_of(spec);

  ExperimentSpec reordered = spec;
  std::reverse(reordered.attacks.begin(), reordered.attacks.end());
  std::reverse(reordered.seeds.begin(), reordered.seeds.end());
  EXPECT_EQ(keys_of(reordered), base);

  ExperimentSpec more = spec;
  more.attacks.insert(more.attacks.begin(), spec.attacks[1]);
  more.attacks.front().name = "blended-strong";
  more.attacks.front().trigger.alpha = 0.4;
  more.seeds.push_back(7);
  const auto grown = keys_of(more);
  EXPECT_EQ(grown.size(), 4u * 3u * 6u);  // 4 attacks x 3 seeds x 6 tasks
  for (const auto& [id, key] : base) EXPECT_EQ(grown.at(id), key) << id;

  ExperimentSpec fewer = spec;
  fewer.attacks.pop_back();
  fewer.seeds = {2};
  for (const auto& [id, key] : keys_of(fewer)) EXPECT_EQ(base.at(id), key) << id;
}

TEST(TaskKey, UnrelatedSettingsDoNotChangeKeys) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.name = "renamed";
  other.threads = 7;
  other.source_file = "elsewhere.yaml";
  other.source_text = "# a comment\n" + spec.source_text;
  EXPECT_EQ(keys_of(other), keys_of(spec));
}

TEST(TaskKey, ChangingOneRateChangesThatFinepruneTaskAndTheCurve) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.pruning.rates = {0.5, 0.7};
  const auto a = keys_of(spec);
  const auto b = keys_of(other);
  std::vector<std::string> expected;
  for (const auto& [id, key] : a) {
    if (id.find("/curve/") != std::string::npos) expected.push_back(id);
  }
  // Keys of the 0.5 fineprune tasks, finetune and trains are unchanged; the curve emits the
  // "prune" row at every rate, so its key follows the rate list.
  EXPECT_EQ(changed(a, b), expected);
  size_t gone = 0;
  for (const auto& [id, key] : a) gone += b.count(id) == 0;
  EXPECT_EQ(gone, 6u);  // the 0.8 fineprune tasks, replaced by 0.7 ones with new keys

  // Without the "prune" defense the curve does not use the rates.
  ExperimentSpec np = spec;
  np.defenses = {"none", "finetune", "fineprune"};
  ExperimentSpec np_other = np;
  np_other.pruning.rates = {0.5, 0.7};
  EXPECT_TRUE(changed(keys_of(np), keys_of(np_other)).empty());
}

TEST(TaskKey, MaxValDropChangesCurveAndStopOnly) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.pruning.max_val_drops = {0.02};
  const auto a = keys_of(spec), b = keys_of(other);
  for (const std::string& id : changed(a, b)) EXPECT_NE(id.find("/curve/"), std::string::npos) << id;
  EXPECT_EQ(changed(a, b).size(), 6u);  // the curve marks the first threshold's stop
  size_t gone = 0;
  for (const auto& [id, key] : a) {
    if (b.count(id) == 0) {
      ++gone;
      EXPECT_NE(id.find("/fineprune/stop/"), std::string::npos) << id;
    }
  }
  EXPECT_EQ(gone, 6u);  // each stop task is named by its threshold: 0.04 ones replaced by 0.02 ones
}

// Several stopping thresholds: one fine-pruning task per threshold; adding one keeps the existing
// stop tasks' keys, and the curve (which writes prune rows at every stop) gets a new key.
TEST(TaskKey, MoreThresholdsAddStopTasksAndKeepTheFirst) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec more = spec;
  more.pruning.max_val_drops = {0.04, 0.1};
  const auto a = keys_of(spec), b = keys_of(more);
  EXPECT_EQ(b.size(), a.size() + 6u);
  for (const auto& [id, key] : a) {
    ASSERT_EQ(b.count(id), 1u) << id;
    if (id.find("/curve/") != std::string::npos) {
      EXPECT_NE(b.at(id), key) << id;
    } else {
      EXPECT_EQ(b.at(id), key) << id;
    }
  }
  // Without "prune" the curve writes no stop rows but the marked one: its key stays.
  ExperimentSpec np = spec, np_more = more;
  np.defenses = np_more.defenses = {"none", "finetune", "fineprune"};
  EXPECT_TRUE(changed(keys_of(np), keys_of(np_more)).empty());
}

TEST(TaskKey, FinetuneSpecChangesFinetuneAndFineprune) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.finetune.lr = 0.02;
  const auto diff = changed(keys_of(spec), keys_of(other));
  EXPECT_EQ(diff.size(), 24u);  // 6 finetune + 18 fineprune
  for (const std::string& id : diff) {
    EXPECT_TRUE(id.find("/finetune/") != std::string::npos ||
                id.find("/fineprune/") != std::string::npos)
        << id;
  }
}

TEST(TaskKey, AsrCountsChangesDefenseTasksNotTrain) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.asr_counts = "all";
  const auto diff = changed(keys_of(spec), keys_of(other));
  EXPECT_EQ(diff.size(), 30u);
  for (const std::string& id : diff) EXPECT_EQ(id.find("/train/"), std::string::npos) << id;
}

TEST(TaskKey, DefensesSetChangesOnlyTheCurve) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  other.defenses = {"prune", "finetune", "fineprune"};  // no "none" rows from the curve
  const auto diff = changed(keys_of(spec), keys_of(other));
  EXPECT_EQ(diff.size(), 6u);
  for (const std::string& id : diff) EXPECT_NE(id.find("/curve/"), std::string::npos) << id;
}

// Every field that shapes the backdoored model changes every key of the attack it touches.
struct Mutation {
  const char* name;
  std::function<void(ExperimentSpec&)> apply;
  bool all_attacks;  // a shared setting (data, model, training) or only attacks[0]
};

class TaskKeySensitivity : public ::testing::TestWithParam<Mutation> {};

TEST_P(TaskKeySensitivity, ChangesEveryKeyOfTheAffectedAttack) {
  const ExperimentSpec spec = test::sweep_spec();
  ExperimentSpec other = spec;
  GetParam().apply(other);
  const auto a = keys_of(spec);
  const auto b = keys_of(other);
  size_t diff = 0;
  for (const auto& [id, key] : a) {
    const bool affected = GetParam().all_attacks || id.rfind("badnets/", 0) == 0;
    ASSERT_TRUE(b.count(id)) << id;
    EXPECT_EQ(b.at(id) != key, affected) << GetParam().name << ": " << id;
    diff += b.at(id) != key;
  }
  EXPECT_EQ(diff, GetParam().all_attacks ? 36u : 12u);
}

AttackSpec& first(ExperimentSpec& s) { return s.attacks[0]; }

INSTANTIATE_TEST_SUITE_P(
    Fields, TaskKeySensitivity,
    ::testing::Values(
        Mutation{"data.dir", [](ExperimentSpec& s) { s.data.dir = "/data/other"; }, true},
        Mutation{"data.format", [](ExperimentSpec& s) { s.data.format = "cifar10"; }, true},
        Mutation{"data.train_batches", [](ExperimentSpec& s) { s.data.train_batches.pop_back(); }, true},
        Mutation{"data.scale", [](ExperimentSpec& s) { s.data.scale = 1.0; }, true},
        Mutation{"data.validation_size", [](ExperimentSpec& s) { s.data.validation_size = 4000; }, true},
        Mutation{"data.train_subset", [](ExperimentSpec& s) { s.data.train_subset = 1000; }, true},
        Mutation{"data.test_subset", [](ExperimentSpec& s) { s.data.test_subset = 1000; }, true},
        Mutation{"model.name", [](ExperimentSpec& s) { s.model.name = "vgg"; }, true},
        Mutation{"model.widths", [](ExperimentSpec& s) { s.model.widths.back() = 65; }, true},
        Mutation{"model.hidden", [](ExperimentSpec& s) { s.model.hidden = 64; }, true},
        Mutation{"model.head", [](ExperimentSpec& s) { s.model.head = "global_pool"; }, true},
        Mutation{"training.epochs", [](ExperimentSpec& s) { s.training.epochs = 4; }, true},
        Mutation{"training.lr", [](ExperimentSpec& s) { s.training.lr = std::nextafter(0.05, 1.0); }, true},
        Mutation{"training.weight_decay", [](ExperimentSpec& s) { s.training.weight_decay = 0; }, true},
        Mutation{"trigger.type", [](ExperimentSpec& s) { first(s).trigger.type = "blend"; }, false},
        Mutation{"trigger.size", [](ExperimentSpec& s) { first(s).trigger.size = 4; }, false},
        Mutation{"trigger.position", [](ExperimentSpec& s) { first(s).trigger.position = "top_left"; }, false},
        Mutation{"trigger.style", [](ExperimentSpec& s) { first(s).trigger.style = "solid"; }, false},
        Mutation{"trigger.value", [](ExperimentSpec& s) { first(s).trigger.value = 0.5; }, false},
        Mutation{"trigger.image", [](ExperimentSpec& s) { first(s).trigger.image = "/t.pgm"; }, false},
        Mutation{"trigger.pattern_seed", [](ExperimentSpec& s) { first(s).trigger.pattern_seed = 1; }, false},
        Mutation{"trigger.delta", [](ExperimentSpec& s) { first(s).trigger.delta = 30; }, false},
        Mutation{"trigger.strength", [](ExperimentSpec& s) { first(s).trigger.strength = 0.6; }, false},
        Mutation{"target.mode", [](ExperimentSpec& s) { first(s).target.mode = "all_to_all"; }, false},
        Mutation{"target.label", [](ExperimentSpec& s) { first(s).target.label = 3; }, false},
        Mutation{"poison_rate", [](ExperimentSpec& s) { first(s).poison_rate = 0.05; }, false},
        Mutation{"pruning_aware.enabled", [](ExperimentSpec& s) { first(s).pruning_aware.enabled = true; }, false},
        Mutation{"pruning_aware.bias_decrease", [](ExperimentSpec& s) { first(s).pruning_aware.bias_decrease = 2; }, false},
        Mutation{"pruning_aware.max_val_drop", [](ExperimentSpec& s) { first(s).pruning_aware.max_val_drop = 0.1; }, false},
        Mutation{"pruning_aware.clean_epochs", [](ExperimentSpec& s) { first(s).pruning_aware.clean_epochs = 9; }, false}),
    [](const ::testing::TestParamInfo<Mutation>& param_info) {
      std::string n = param_info.param.name;
      for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

TEST(TaskKey, SeedAndProgramVersion) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::string k1 = train_key(spec, spec.attacks[0], 1, "v1");
  EXPECT_NE(train_key(spec, spec.attacks[0], 2, "v1"), k1);
  EXPECT_NE(train_key(spec, spec.attacks[0], 1, "v2"), k1);
  EXPECT_EQ(train_key(spec, spec.attacks[0], 1, "v1"), k1);
  AttackSpec renamed = spec.attacks[0];  // the name seeds the poisoned subset and labels rows
  renamed.name = "badnets2";
  EXPECT_NE(train_key(spec, renamed, 1, "v1"), k1);
  // The version reaches every defense key through the train key.
  EXPECT_TRUE(changed(keys_of(spec, "v1"), keys_of(spec, "v2")).size() == 36u);
}

TEST(TaskKey, CanonicalTextFormat) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::string text = fineprune_key_text(spec, "TRAINKEY", "rate", 0.1);
  EXPECT_EQ(text.rfind(std::string("schema=") + kCanonicalSchema + "\n", 0), 0u);
  EXPECT_NE(text.find("\nkind=fineprune\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ntrain_key=TRAINKEY\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprune_rate=0.10000000000000001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nfinetune.lr=0.01\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("max_val_drop"), std::string::npos) << text;  // a rate task ignores the stop
  EXPECT_EQ(fineprune_key(spec, "T", "rate", 0.1), sha256_hex(fineprune_key_text(spec, "T", "rate", 0.1)));
  EXPECT_NE(fineprune_key(spec, "T", "rate", 0.1),
            fineprune_key(spec, "T", "rate", std::nextafter(0.1, 1.0)));
  EXPECT_THROW(fineprune_key(spec, "T", "half", 0.5), Error);
}

TEST(TaskKey, ValuesCannotForgeLines) {
  CanonicalText a;
  a.add("x", std::string("1\ny=2"));
  CanonicalText b;
  b.add("x", std::string("1"));
  b.add("y", std::string("2"));
  EXPECT_NE(a.str(), b.str());
  EXPECT_NE(a.str().find("x=1\\ny=2\n"), std::string::npos);
  CanonicalText c;
  c.add("l", std::vector<std::string>{"a", "b"});
  CanonicalText d;
  d.add("l", std::vector<std::string>{"a\nl.1=b"});
  EXPECT_NE(c.str(), d.str());
}

TEST(SweepFingerprint, CoversTheSweepNotItsFormatting) {
  const ExperimentSpec spec = test::sweep_spec();
  const std::string fp = sweep_fingerprint(spec);
  EXPECT_EQ(fp.size(), 64u);
  ExperimentSpec same = spec;
  same.threads = 3;
  same.source_text += "\n# comment\n";
  same.source_file = "/elsewhere/sweep.yaml";
  EXPECT_EQ(sweep_fingerprint(same), fp);

  const std::vector<std::function<void(ExperimentSpec&)>> changes = {
      [](ExperimentSpec& s) { s.name = "other"; },
      [](ExperimentSpec& s) { std::swap(s.attacks[0], s.attacks[1]); },
      [](ExperimentSpec& s) { s.attacks.pop_back(); },
      [](ExperimentSpec& s) { s.attacks[2].trigger.k = 5; },
      [](ExperimentSpec& s) { s.seeds.push_back(3); },
      [](ExperimentSpec& s) { s.defenses.pop_back(); },
      [](ExperimentSpec& s) { s.pruning.rates.push_back(0.9); },
      [](ExperimentSpec& s) { s.pruning.max_val_drops = {0.05}; },
      [](ExperimentSpec& s) { s.finetune.epochs = 6; },
      [](ExperimentSpec& s) { s.asr_counts = "all"; },
      [](ExperimentSpec& s) { s.data.labels_key = "y"; },
      [](ExperimentSpec& s) { s.model.hidden = 1; },
      [](ExperimentSpec& s) { s.training.momentum = 0.5; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    ExperimentSpec other = spec;
    changes[i](other);
    EXPECT_NE(sweep_fingerprint(other), fp) << "change " << i;
  }
}

// The canonical writers list every field by hand. If a spec struct grows, this fails until the
// new field is added to canonical_text.cpp (and the sizes here updated). Only checked on the
// ABI the sizes were measured on.
#if defined(__x86_64__) && defined(__GLIBCXX__) && !defined(_GLIBCXX_DEBUG)
TEST(TaskKey, SpecStructsHaveNotGrown) {
  EXPECT_EQ(sizeof(DataSpec), 12 * sizeof(std::string) + sizeof(std::vector<std::string>) + 5 * 8)
      << "DataSpec changed: update add_data()";
  // ... + final_bn (padded to 8) + input_mean and input_std.
  EXPECT_EQ(sizeof(ModelSpec), 3 * sizeof(std::string) + sizeof(std::vector<int64_t>) + 8 + 8 +
                                   2 * sizeof(std::vector<double>))
      << "ModelSpec changed: update add_model()";
  EXPECT_EQ(sizeof(TrainSpec), 5 * 8u) << "TrainSpec changed: update add_train()";
  EXPECT_EQ(sizeof(TriggerSpec), 5 * sizeof(std::string) + 9 * 8)
      << "TriggerSpec changed: update add_attack()";
  EXPECT_EQ(sizeof(TargetSpec), sizeof(std::string) + 8) << "TargetSpec changed: update add_attack()";
  EXPECT_EQ(sizeof(PruningAwareSpec), 4 * 8u) << "PruningAwareSpec changed: update add_attack()";
  // The overrides are keyed apart: training in the train key, all three in the fingerprint,
  // finetune and pruning in the defense keys through spec_for_attack.
  EXPECT_EQ(sizeof(AttackSpec), sizeof(std::string) + sizeof(TriggerSpec) + sizeof(TargetSpec) + 8 +
                                    sizeof(PruningAwareSpec) + 2 * sizeof(std::optional<TrainSpec>) +
                                    sizeof(std::optional<PruningSpec>) +
                                    3 * sizeof(std::string))  // model_file (not keyed: its digest is), sha256, layout
      << "AttackSpec changed: update add_attack() or the overrides in task_key.cpp";
  EXPECT_EQ(sizeof(PruningSpec), 2 * sizeof(std::vector<double>)) << "update add_pruning()";
}
#endif

}  // namespace
}  // namespace fineprune
