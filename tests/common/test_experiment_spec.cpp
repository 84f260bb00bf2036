// Tests of the experiment YAML loader: every field read, defaults kept, every bad input named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/defense_catalog.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/task_key.h"

namespace fineprune {
namespace {

#define OK_ATTACK_TEXT "attacks: [{name: a}]\n"

// Sets every field to a value other than its default, so a field the loader skips shows up.
const char* const kFullSpec = R"(
name: full_run
data:
  format: hdf5
  dir: data/gtsrb
  train_file: train.h5
  test_file: test.h5
  images_key: x
  labels_key: y
  layout: nchw
  scale: 1.0
  num_classes: 43
  validation_size: 1000
  train_subset: 20000
  test_subset: 3000
model:
  name: vgg
  widths: [32, 64, 128]
  hidden: 256
training: {epochs: 7, batch_size: 32, lr: 0.1, momentum: 0.5, weight_decay: 0.001}
attacks:
  - name: badnet-3x3
    trigger:
      type: patch
      size: 5
      position: top_left
      margin: 2
      style: solid
      value: 0.5
    target: {mode: all_to_one, label: 7}
    poison_rate: 0.05
    pruning_aware: {enabled: true, max_val_drop: 0.02, bias_decrease: 2.5, clean_epochs: 4}
  - name: blend.v2
    trigger: {type: mask, image: /abs/mask.pgm}
    poison_rate: 1
defenses: [fineprune, none]
pruning: {max_val_drop: 0.1, rates: [0, 0.5, 0.9]}
finetune: {epochs: 2, batch_size: 16, lr: 0.002, momentum: 0, weight_decay: 0}
asr_counts: all
seeds: [0, 4, 2]
threads: 6
parallel: {backend: mpi, bucket_mb: 8.5}
)";

TEST(ExperimentSpec, FullFileReadsEveryField) {
  const ExperimentSpec s = parse_experiment_spec(kFullSpec, "/cfg/exp.yaml");
  EXPECT_EQ(s.source_file, "/cfg/exp.yaml");
  EXPECT_EQ(s.source_text, kFullSpec);
  EXPECT_EQ(s.name, "full_run");

  EXPECT_EQ(s.data.format, "hdf5");
  EXPECT_EQ(s.data.dir, "/cfg/data/gtsrb");  // relative dir resolved against the YAML's folder
  EXPECT_EQ(s.data.train_file, "train.h5");  // file names stay as given: joined with dir later
  EXPECT_EQ(s.data.test_file, "test.h5");
  EXPECT_EQ(s.data.images_key, "x");
  EXPECT_EQ(s.data.labels_key, "y");
  EXPECT_EQ(s.data.layout, "nchw");
  EXPECT_EQ(s.data.scale, 1.0);
  EXPECT_EQ(s.data.num_classes, 43);
  EXPECT_EQ(s.data.validation_size, 1000);
  EXPECT_EQ(s.data.train_subset, 20000);
  EXPECT_EQ(s.data.test_subset, 3000);

  EXPECT_EQ(s.model.name, "vgg");
  EXPECT_EQ(s.model.widths, (std::vector<int64_t>{32, 64, 128}));
  EXPECT_EQ(s.model.hidden, 256);

  EXPECT_EQ(s.training.epochs, 7);
  EXPECT_EQ(s.training.batch_size, 32);
  EXPECT_DOUBLE_EQ(s.training.lr, 0.1);
  EXPECT_DOUBLE_EQ(s.training.momentum, 0.5);
  EXPECT_DOUBLE_EQ(s.training.weight_decay, 0.001);

  ASSERT_EQ(s.attacks.size(), 2u);
  const AttackSpec& a = s.attacks[0];
  EXPECT_EQ(a.name, "badnet-3x3");
  EXPECT_EQ(a.trigger.type, "patch");
  EXPECT_EQ(a.trigger.size, 5);
  EXPECT_EQ(a.trigger.position, "top_left");
  EXPECT_EQ(a.trigger.margin, 2);
  EXPECT_EQ(a.trigger.style, "solid");
  EXPECT_DOUBLE_EQ(a.trigger.value, 0.5);
  EXPECT_EQ(a.target.mode, "all_to_one");
  EXPECT_EQ(a.target.label, 7);
  EXPECT_DOUBLE_EQ(a.poison_rate, 0.05);
  EXPECT_TRUE(a.pruning_aware.enabled);
  EXPECT_DOUBLE_EQ(a.pruning_aware.max_val_drop, 0.02);
  EXPECT_DOUBLE_EQ(a.pruning_aware.bias_decrease, 2.5);
  EXPECT_EQ(a.pruning_aware.clean_epochs, 4);

  const AttackSpec& b = s.attacks[1];
  EXPECT_EQ(b.name, "blend.v2");
  EXPECT_EQ(b.trigger.type, "mask");
  EXPECT_EQ(b.trigger.image, "/abs/mask.pgm");  // absolute paths are kept
  EXPECT_DOUBLE_EQ(b.poison_rate, 1.0);
  EXPECT_FALSE(b.pruning_aware.enabled);

  EXPECT_EQ(s.defenses, (std::vector<std::string>{"fineprune", "none"}));
  EXPECT_EQ(s.pruning.max_val_drops, (std::vector<double>{0.1}));
  EXPECT_EQ(s.pruning.rates, (std::vector<double>{0.0, 0.5, 0.9}));
  EXPECT_EQ(s.finetune.epochs, 2);
  EXPECT_EQ(s.finetune.batch_size, 16);
  EXPECT_DOUBLE_EQ(s.finetune.lr, 0.002);
  EXPECT_DOUBLE_EQ(s.finetune.momentum, 0.0);
  EXPECT_DOUBLE_EQ(s.finetune.weight_decay, 0.0);
  EXPECT_EQ(s.asr_counts, "all");
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{0, 4, 2}));
  EXPECT_EQ(s.threads, 6);
  EXPECT_EQ(s.parallel.backend, "mpi");
  EXPECT_DOUBLE_EQ(s.parallel.bucket_mb, 8.5);
}

// The keys of the other data formats and trigger types, each in a file where they are used
// (another format's or type's keys are refused: see the contradiction bad cases).
TEST(ExperimentSpec, EachFormatAndTriggerTypeReadsItsOwnKeys) {
  const ExperimentSpec idx = parse_experiment_spec(
      "data: {format: idx, train_images: ti.gz, train_labels: tl.gz, test_images: vi.gz, "
      "test_labels: vl.gz}\n"
      "attacks:\n"
      "  - {name: b, trigger: {type: blend, alpha: 0.3, pattern: image, image: triggers/hello.pgm}}\n"
      "  - {name: n, trigger: {type: blend, pattern: noise, pattern_seed: 98}}\n"
      "  - {name: s, trigger: {type: sig, delta: 30, frequency: 4}}\n"
      "  - {name: w, trigger: {type: wanet, k: 8, strength: 0.75, pattern_seed: 99}}\n"
      "  - {name: m, trigger: {type: mask, image: m.pgm, value: 0.25}, target: {mode: all_to_all}}\n",
      "/cfg/exp.yaml");
  EXPECT_EQ(idx.data.train_images, "ti.gz");
  EXPECT_EQ(idx.data.train_labels, "tl.gz");
  EXPECT_EQ(idx.data.test_images, "vi.gz");
  EXPECT_EQ(idx.data.test_labels, "vl.gz");
  ASSERT_EQ(idx.attacks.size(), 5u);
  EXPECT_DOUBLE_EQ(idx.attacks[0].trigger.alpha, 0.3);
  EXPECT_EQ(idx.attacks[0].trigger.pattern, "image");
  EXPECT_EQ(idx.attacks[0].trigger.image, "/cfg/triggers/hello.pgm");
  EXPECT_EQ(idx.attacks[1].trigger.pattern_seed, 98);
  EXPECT_DOUBLE_EQ(idx.attacks[2].trigger.delta, 30.0);
  EXPECT_DOUBLE_EQ(idx.attacks[2].trigger.frequency, 4.0);
  EXPECT_EQ(idx.attacks[3].trigger.k, 8);
  EXPECT_DOUBLE_EQ(idx.attacks[3].trigger.strength, 0.75);
  EXPECT_EQ(idx.attacks[3].trigger.pattern_seed, 99);
  EXPECT_DOUBLE_EQ(idx.attacks[4].trigger.value, 0.25);
  EXPECT_EQ(idx.attacks[4].target.mode, "all_to_all");

  const ExperimentSpec cifar = parse_experiment_spec(
      "data: {format: cifar10, train_batches: [b1.bin, b2.bin], test_batch: tb.bin}\n"
      "model: {name: preact_resnet18, widths: [8, 16, 32, 64]}\n" OK_ATTACK_TEXT,
      "exp.yaml");
  EXPECT_EQ(cifar.data.train_batches, (std::vector<std::string>{"b1.bin", "b2.bin"}));
  EXPECT_EQ(cifar.data.test_batch, "tb.bin");
  EXPECT_EQ(cifar.model.widths, (std::vector<int64_t>{8, 16, 32, 64}));
}

TEST(ExperimentSpec, MissingKeysKeepDefaults) {
  const ExperimentSpec s = parse_experiment_spec("attacks: [{name: a}]\n", "exp.yaml");
  const ExperimentSpec d;
  EXPECT_EQ(s.name, d.name);
  EXPECT_EQ(s.data.format, d.data.format);
  EXPECT_EQ(s.data.dir, "");
  EXPECT_EQ(s.data.train_images, d.data.train_images);
  EXPECT_EQ(s.data.train_batches, d.data.train_batches);
  EXPECT_EQ(s.data.layout, d.data.layout);
  EXPECT_EQ(s.data.validation_size, d.data.validation_size);
  EXPECT_EQ(s.model.name, d.model.name);
  EXPECT_TRUE(s.model.widths.empty());
  EXPECT_EQ(s.training.epochs, d.training.epochs);
  EXPECT_DOUBLE_EQ(s.training.lr, d.training.lr);
  EXPECT_EQ(s.finetune.epochs, d.finetune.epochs);
  EXPECT_DOUBLE_EQ(s.finetune.lr, d.finetune.lr);
  EXPECT_EQ(s.defenses, d.defenses);
  EXPECT_EQ(s.pruning.max_val_drops, d.pruning.max_val_drops);
  EXPECT_TRUE(s.pruning.rates.empty());
  EXPECT_EQ(s.asr_counts, d.asr_counts);
  EXPECT_EQ(s.seeds, d.seeds);
  EXPECT_EQ(s.threads, d.threads);
  EXPECT_EQ(s.parallel.backend, "auto");
  EXPECT_DOUBLE_EQ(s.parallel.bucket_mb, 25.0);

  ASSERT_EQ(s.attacks.size(), 1u);
  const AttackSpec da;
  EXPECT_EQ(s.attacks[0].name, "a");
  EXPECT_EQ(s.attacks[0].trigger.type, da.trigger.type);
  EXPECT_EQ(s.attacks[0].trigger.size, da.trigger.size);
  EXPECT_EQ(s.attacks[0].trigger.image, "");
  EXPECT_EQ(s.attacks[0].target.mode, da.target.mode);
  EXPECT_DOUBLE_EQ(s.attacks[0].poison_rate, da.poison_rate);
  EXPECT_FALSE(s.attacks[0].pruning_aware.enabled);
}

TEST(ExperimentSpec, PruningAwareMapImpliesEnabledUnlessSaidOtherwise) {
  const ExperimentSpec on = parse_experiment_spec(
      "attacks: [{name: a, pruning_aware: {bias_decrease: 0.5}}]\n", "exp.yaml");
  EXPECT_TRUE(on.attacks[0].pruning_aware.enabled);
  EXPECT_DOUBLE_EQ(on.attacks[0].pruning_aware.bias_decrease, 0.5);
  const ExperimentSpec empty_map =
      parse_experiment_spec("attacks: [{name: a, pruning_aware: {}}]\n", "exp.yaml");
  EXPECT_TRUE(empty_map.attacks[0].pruning_aware.enabled);
  const ExperimentSpec off = parse_experiment_spec(
      "attacks: [{name: a, pruning_aware: {enabled: false, clean_epochs: 2}}]\n", "exp.yaml");
  EXPECT_FALSE(off.attacks[0].pruning_aware.enabled);
  EXPECT_EQ(off.attacks[0].pruning_aware.clean_epochs, 2);
}

// overrides: each section merged over the file's own, read whatever the order of the keys.
TEST(ExperimentSpec, AttackOverridesMergeOverTheFilesSections) {
  const ExperimentSpec spec = parse_experiment_spec(
      "attacks:\n"
      "  - name: plain\n"
      "  - name: tuned\n"
      "    overrides:\n"
      "      training: {epochs: 9}\n"
      "      finetune: {lr: 0.5}\n"
      "      pruning: {rates: [0.3]}\n"
      "training: {epochs: 2, lr: 0.07}\n"
      "finetune: {epochs: 4}\n"
      "pruning: {max_val_drop: 0.1, rates: [0.5, 0.9]}\n",
      "o.yaml");
  ASSERT_EQ(spec.attacks.size(), 2u);
  EXPECT_FALSE(spec.attacks[0].training || spec.attacks[0].finetune || spec.attacks[0].pruning);
  const ExperimentSpec plain = spec_for_attack(spec, spec.attacks[0]);
  EXPECT_EQ(plain.training.epochs, 2);
  EXPECT_EQ(plain.pruning.rates, (std::vector<double>{0.5, 0.9}));
  const ExperimentSpec tuned = spec_for_attack(spec, spec.attacks[1]);
  EXPECT_EQ(tuned.training.epochs, 9);
  EXPECT_DOUBLE_EQ(tuned.training.lr, 0.07);  // kept from the file
  EXPECT_EQ(tuned.finetune.epochs, 4);
  EXPECT_DOUBLE_EQ(tuned.finetune.lr, 0.5);
  EXPECT_EQ(tuned.pruning.rates, (std::vector<double>{0.3}));
  EXPECT_EQ(tuned.pruning.max_val_drops, (std::vector<double>{0.1}));
}

TEST(ExperimentSpec, ModelsListReadsEachEntryWithItsLabel) {
  const ExperimentSpec s = parse_experiment_spec(
      "attacks: [{name: a}]\n"
      "models:\n"
      "  - {name: flat.v1, arch: small_cnn, widths: [8, 16, 32], hidden: 64}\n"
      "  - {name: pooled-2, arch: small_cnn, head: max_pool}\n"
      "  - {name: big_vgg, arch: vgg}\n",
      "m.yaml");
  ASSERT_EQ(s.models.size(), 3u);
  EXPECT_EQ(s.models[0].label, "flat.v1");
  EXPECT_EQ(s.models[0].name, "small_cnn");
  EXPECT_EQ(s.models[0].widths, (std::vector<int64_t>{8, 16, 32}));
  EXPECT_EQ(s.models[0].hidden, 64);
  EXPECT_EQ(s.models[1].head, "max_pool");
  EXPECT_EQ(s.models[2].name, "vgg");
  EXPECT_EQ(model_label(s.models[2]), "big_vgg");
  EXPECT_EQ(model_label(s.model), "flat.v1");  // the first, as the model a task runs with
  EXPECT_EQ(sweep_models(s).size(), 3u);
  // The single section: one model, labelled by its architecture, no list.
  const ExperimentSpec one = parse_experiment_spec("attacks: [{name: a}]\nmodel: {name: vgg}\n", "m.yaml");
  EXPECT_TRUE(one.models.empty());
  ASSERT_EQ(sweep_models(one).size(), 1u);
  EXPECT_EQ(model_label(sweep_models(one)[0]), "vgg");
}

TEST(ExperimentSpec, StoppingThresholdsAreANumberOrAList) {
  EXPECT_EQ(parse_experiment_spec("attacks: [{name: a}]\npruning: {max_val_drop: 0.1}\n", "s.yaml").pruning.max_val_drops,
            (std::vector<double>{0.1}));
  EXPECT_EQ(parse_experiment_spec("attacks: [{name: a}]\npruning: {max_val_drop: [0.02, 0.1]}\n", "s.yaml").pruning.max_val_drops,
            (std::vector<double>{0.02, 0.1}));
  EXPECT_EQ(parse_experiment_spec("attacks: [{name: a}]\n", "s.yaml").pruning.max_val_drops, (std::vector<double>{0.04}));
}

TEST(ExperimentSpec, SingleSeedIsAOneElementList) {
  const ExperimentSpec s = parse_experiment_spec("attacks: [{name: a}]\nseeds: 7\n", "exp.yaml");
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{7}));
}

TEST(ExperimentSpec, RelativePathsResolveAgainstTheYamlFolder) {
  const ExperimentSpec s = parse_experiment_spec(
      "data: {dir: ../data}\n"
      "attacks: [{name: a, trigger: {type: blend, pattern: image, image: ./t/k.ppm}}]\n",
      "configs/sweeps/exp.yaml");
  EXPECT_EQ(s.data.dir, "configs/data");
  EXPECT_EQ(s.attacks[0].trigger.image, "configs/sweeps/t/k.ppm");
  const ExperimentSpec bare = parse_experiment_spec("data: {dir: mnist}\nattacks: [{name: a}]\n",
                                                    "exp.yaml");
  EXPECT_EQ(bare.data.dir, "mnist");
  const ExperimentSpec absolute =
      parse_experiment_spec("data: {dir: /srv/mnist}\nattacks: [{name: a}]\n", "c/exp.yaml");
  EXPECT_EQ(absolute.data.dir, "/srv/mnist");
}

// A received model: its file next to the YAML, its digest, its layout; the benchmark network's
// settings; none of it changes the keys of a file that does not use it.
TEST(ExperimentSpec, ReceivedModelKeysAndTheNetworkItNeeds) {
  const std::string sha(64, 'a');
  const ExperimentSpec s = parse_experiment_spec(
      "model: {name: preact_resnet18, final_bn: false, input_mean: [0.5, 0.5, 0.5], input_std: [0.25, 0.25, 0.25]}\n"
      "attacks: [{name: a, model_file: models/bb.pt, model_sha256: " + sha + ", model_layout: backdoorbench},\n"
      "          {name: b}]\n",
      "configs/received.yaml");
  EXPECT_FALSE(s.model.final_bn);
  EXPECT_EQ(s.model.input_std, (std::vector<double>{0.25, 0.25, 0.25}));
  EXPECT_EQ(s.attacks[0].model_file, "configs/models/bb.pt");
  EXPECT_EQ(s.attacks[0].model_sha256, sha);
  EXPECT_EQ(s.attacks[0].model_layout, "backdoorbench");
  EXPECT_TRUE(s.attacks[1].model_file.empty());
  EXPECT_EQ(s.attacks[1].model_layout, "fineprune");
  // A received model's train key is its bytes and layout, not its path.
  ExperimentSpec moved = s;
  moved.attacks[0].model_file = "/elsewhere/bb.pt";
  EXPECT_EQ(train_key(s, s.attacks[0], 1, "v"), train_key(moved, moved.attacks[0], 1, "v"));
  ExperimentSpec other = s;
  other.attacks[0].model_sha256 = std::string(64, 'b');
  EXPECT_NE(train_key(s, s.attacks[0], 1, "v"), train_key(other, other.attacks[0], 1, "v"));
  // Files without these keys keep the keys they had (no new line in the canonical text).
  const ExperimentSpec plain = parse_experiment_spec("attacks: [{name: b}]\n", "p.yaml");
  const std::string text = train_key_text(plain, plain.attacks[0], 1, "v");
  for (const char* absent : {"final_bn", "input_mean", "model_sha256", "model_layout"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }
}

TEST(ExperimentSpec, KnownNameLists) {
  // The defense catalog's names (common/defense_catalog.h), Fine-Pruning's four first.
  EXPECT_EQ(known_defenses(), defense_names());
  EXPECT_EQ(std::vector<std::string>(known_defenses().begin(), known_defenses().begin() + 4),
            (std::vector<std::string>{"none", "prune", "finetune", "fineprune"}));
  EXPECT_EQ(known_models(),
            (std::vector<std::string>{"small_cnn", "vgg", "preact_resnet18", "deepid"}));
  EXPECT_EQ(known_trigger_types(),
            (std::vector<std::string>{"patch", "blend", "mask", "sig", "wanet"}));
  EXPECT_EQ(&known_models(), &known_models());  // one static list, not a fresh copy
}

TEST(ExperimentSpec, LoadReadsTheFile) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "spec_load_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "exp.yaml").string();
  const std::string text = "name: from_disk\ndata: {dir: d}\nattacks: [{name: a}]\n";
  std::ofstream(path) << text;
  const ExperimentSpec s = load_experiment_spec(path);
  EXPECT_EQ(s.source_file, path);
  EXPECT_EQ(s.source_text, text);
  EXPECT_EQ(s.name, "from_disk");
  EXPECT_EQ(s.data.dir, (dir / "d").string());
  std::filesystem::remove_all(dir);
}

TEST(ExperimentSpec, MissingFileIsAConfigError) {
  const std::string path = "/nonexistent/fineprune/exp.yaml";
  try {
    load_experiment_spec(path);
    FAIL() << "no error for a missing file";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": <file>: cannot open");
  }
}

TEST(ExperimentSpec, ValueErrorsGiveTheLine) {
  try {
    parse_experiment_spec("name: x\nattacks:\n  - name: a\n    poison_rate: 1.5\n", "exp.yaml");
    FAIL() << "no error for poison_rate 1.5";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "exp.yaml: attacks[0].poison_rate: must be in (0, 1], got 1.5 (line 4)");
  }
}

// One bad file: its text, the key path the message must name and a piece of the problem.
struct BadCase {
  const char* label;
  const char* yaml;
  const char* key_path;
  const char* problem;
};

std::ostream& operator<<(std::ostream& out, const BadCase& c) { return out << c.label; }

class BadSpec : public testing::TestWithParam<BadCase> {};

TEST_P(BadSpec, IsRejectedNamingFileAndKeyPath) {
  const BadCase& c = GetParam();
  try {
    parse_experiment_spec(c.yaml, "configs/bad.yaml");
    FAIL() << "accepted: " << c.yaml;
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(std::string("configs/bad.yaml: ") + c.key_path + ": "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(c.problem), std::string::npos) << message;
  }
}

// 2,000 '[': deeper than yaml-cpp's recursion limit.
#define BRACKETS_10 "[[[[[[[[[["
#define BRACKETS_100 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10 BRACKETS_10
#define BRACKETS_1000 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100 BRACKETS_100
#define TWO_THOUSAND_BRACKETS BRACKETS_1000 BRACKETS_1000 BRACKETS_100

// Most cases add one bad line to a file that is otherwise valid.
#define OK_ATTACK "attacks: [{name: a}]\n"
#define SHA_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

const BadCase kBadCases[] = {
    // Syntax and shape.
    {"MalformedYaml", "name: x\nthreads: 2\nseeds: a: b\n", "<yaml>", "line 3, column"},
    {"UnclosedList", "name: x\nattacks: [{name: a}\nthreads: 2\n", "<yaml>", "line 3"},
    {"TwoDocuments", OK_ATTACK "---\n" OK_ATTACK, "<yaml>", "one YAML document, found more"},
    {"NestedTooDeeply", "attacks: " TWO_THOUSAND_BRACKETS "\n", "<yaml>", "nested too deeply"},
    {"RootIsAList", "- a\n- b\n", "<root>", "expected a map of settings, got a list"},
    {"UnknownTopLevelKey", OK_ATTACK "epochs: 3\n", "epochs",
     "unknown key (known: name, data, model, models, training, attacks"},
    {"UnknownNestedKey", "attacks:\n  - name: a\n  - name: b\n    trigger: {sise: 3}\n",
     "attacks[1].trigger.sise", "unknown key (known: type, size, position"},
    {"UnknownDataKey", OK_ATTACK "data: {folder: x}\n", "data.folder", "unknown key"},
    {"RepeatedKey", OK_ATTACK "threads: 1\nthreads: 2\n", "threads", "key given twice"},
    // Types.
    {"StringForNumber", OK_ATTACK "training: {lr: fast}\n", "training.lr",
     "expected a finite number, got 'fast'"},
    {"FloatForInteger", OK_ATTACK "training: {batch_size: 1.5}\n", "training.batch_size",
     "expected an integer, got '1.5'"},
    {"MapForList", OK_ATTACK "defenses: {prune: 1}\n", "defenses", "expected a list, got a map"},
    {"ListForString", OK_ATTACK "name: [a, b]\n", "name", "expected a string, got a list"},
    {"ListForMap", OK_ATTACK "model: [vgg]\n", "model", "expected a map, got a list"},
    {"NullValue", OK_ATTACK "threads:\n", "threads", "expected an integer, got nothing (null)"},
    {"NotABool", "attacks: [{name: a, pruning_aware: {enabled: maybe}}]\n",
     "attacks[0].pruning_aware.enabled", "expected true or false, got 'maybe'"},
    {"InfiniteNumber", OK_ATTACK "data: {scale: .inf}\n", "data.scale", "finite"},
    // Names.
    {"UnknownModel", OK_ATTACK "model: {name: resnet50}\n", "model.name",
     "unknown value 'resnet50' (known: small_cnn, vgg, preact_resnet18, deepid)"},
    {"UnknownDefense", OK_ATTACK "defenses: [prune, magic]\n", "defenses[1]",
     "unknown value 'magic'"},
    {"UnknownTriggerType", "attacks: [{name: a, trigger: {type: laser}}]\n",
     "attacks[0].trigger.type", "unknown value 'laser'"},
    {"UnknownFormat", OK_ATTACK "data: {format: csv}\n", "data.format", "unknown value 'csv'"},
    {"UnknownLayout", OK_ATTACK "data: {layout: hwc}\n", "data.layout", "unknown value"},
    {"UnknownPosition", "attacks: [{name: a, trigger: {position: middle}}]\n",
     "attacks[0].trigger.position", "unknown value 'middle'"},
    {"UnknownStyle", "attacks: [{name: a, trigger: {style: dots}}]\n", "attacks[0].trigger.style",
     "unknown value"},
    {"UnknownPattern", "attacks: [{name: a, trigger: {pattern: stripes}}]\n",
     "attacks[0].trigger.pattern", "unknown value"},
    {"UnknownTargetMode", "attacks: [{name: a, target: {mode: some}}]\n", "attacks[0].target.mode",
     "unknown value 'some'"},
    {"UnknownAsrCounts", OK_ATTACK "asr_counts: most\n", "asr_counts", "unknown value 'most'"},
    // Attacks.
    {"NoAttacks", "name: x\n", "attacks", "at least one attack"},
    {"EmptyAttacks", "attacks: []\n", "attacks", "at least one attack"},
    {"AttackWithoutName", "attacks: [{poison_rate: 0.1}]\n", "attacks[0].name", "non-empty"},
    {"DuplicateAttackNames", "attacks: [{name: a}, {name: b}, {name: a}]\n", "attacks[2].name",
     "duplicate attack name 'a' (also at attacks[0].name)"},
    {"AttackNameTooLong", "attacks: [{name: abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh}]\n",
     "attacks[0].name", "longer than 47 bytes"},
    {"AttackNameBadChar", "attacks: [{name: 'bad name'}]\n", "attacks[0].name",
     "may only hold letters"},
    {"PoisonRateZero", "attacks: [{name: a, poison_rate: 0}]\n", "attacks[0].poison_rate",
     "must be in (0, 1], got 0"},
    {"PoisonRateAbove1", "attacks: [{name: a}, {name: b}, {name: c, poison_rate: 1.5}]\n",
     "attacks[2].poison_rate", "must be in (0, 1], got 1.5"},
    {"PatchSizeZero", "attacks: [{name: a, trigger: {size: 0}}]\n", "attacks[0].trigger.size",
     "must be >= 1, got 0"},
    {"NegativeMargin", "attacks: [{name: a, trigger: {margin: -1}}]\n",
     "attacks[0].trigger.margin", "must be >= 0"},
    {"PatchValueAbove1", "attacks: [{name: a, trigger: {value: 1.5}}]\n",
     "attacks[0].trigger.value", "must be in [0, 1]"},
    {"AlphaZero", "attacks: [{name: a, trigger: {alpha: 0}}]\n", "attacks[0].trigger.alpha",
     "must be in (0, 1]"},
    {"MaskWithoutImage", "attacks: [{name: a, trigger: {type: mask}}]\n",
     "attacks[0].trigger.image", "required when type is mask"},
    {"ImagePatternWithoutImage", "attacks: [{name: a, trigger: {type: blend, pattern: image}}]\n",
     "attacks[0].trigger.image", "required when pattern is image"},
    {"DeltaZero", "attacks: [{name: a, trigger: {delta: 0}}]\n", "attacks[0].trigger.delta",
     "must be in (0, 255], got 0"},
    {"DeltaAbove255", "attacks: [{name: a, trigger: {type: sig, delta: 300}}]\n",
     "attacks[0].trigger.delta", "must be in (0, 255], got 300"},
    {"NegativePatternSeed", "attacks: [{name: a, trigger: {type: wanet, pattern_seed: -4}}]\n",
     "attacks[0].trigger.pattern_seed", "must be >= 0, got -4"},
    {"FrequencyNegative", "attacks: [{name: a, trigger: {frequency: -2}}]\n",
     "attacks[0].trigger.frequency", "must be > 0"},
    {"WanetKOne", "attacks: [{name: a, trigger: {k: 1}}]\n", "attacks[0].trigger.k",
     "must be >= 2"},
    {"WanetStrengthZero", "attacks: [{name: a, trigger: {strength: 0}}]\n",
     "attacks[0].trigger.strength", "must be > 0"},
    {"NegativeTargetLabel", "attacks: [{name: a, target: {label: -1}}]\n",
     "attacks[0].target.label", "must be >= 0"},
    {"TargetLabelNotAClass", "data: {num_classes: 10}\nattacks: [{name: a, target: {label: 10}}]\n",
     "attacks[0].target.label", "must be < data.num_classes (10)"},
    {"PruningAwareDropOne", "attacks: [{name: a, pruning_aware: {max_val_drop: 1}}]\n",
     "attacks[0].pruning_aware.max_val_drop", "must be in [0, 1)"},
    {"NegativeBiasDecrease", "attacks: [{name: a, pruning_aware: {bias_decrease: -1}}]\n",
     "attacks[0].pruning_aware.bias_decrease", "must be >= 0"},
    {"NegativeCleanEpochs", "attacks: [{name: a, pruning_aware: {clean_epochs: -1}}]\n",
     "attacks[0].pruning_aware.clean_epochs", "must be >= 0"},
    // Data and model.
    {"Hdf5WithoutTrainFile", OK_ATTACK "data: {format: hdf5, test_file: t.h5}\n",
     "data.train_file", "required when data.format is hdf5"},
    {"Hdf5WithoutTestFile", OK_ATTACK "data: {format: hdf5, train_file: t.h5}\n",
     "data.test_file", "required"},
    {"CifarWithoutBatches", OK_ATTACK "data: {format: cifar10, train_batches: []}\n",
     "data.train_batches", "at least one batch file"},
    {"ValidationSizeZero", OK_ATTACK "data: {validation_size: 0}\n", "data.validation_size",
     "must be >= 1, got 0"},
    {"NegativeSubset", OK_ATTACK "data: {test_subset: -5}\n", "data.test_subset",
     "must be >= 0, got -5"},
    {"NegativeScale", OK_ATTACK "data: {scale: -1}\n", "data.scale", "must be >= 0"},
    {"NegativeNumClasses", OK_ATTACK "data: {num_classes: -1}\n", "data.num_classes",
     "must be >= 0"},
    {"WidthZero", OK_ATTACK "model: {widths: [16, 0]}\n", "model.widths[1]", "must be >= 1, got 0"},
    {"NegativeHidden", OK_ATTACK "model: {hidden: -1}\n", "model.hidden", "must be >= 0"},
    // Training.
    {"NegativeEpochs", OK_ATTACK "training: {epochs: -1}\n", "training.epochs",
     "must be >= 1, got -1"},
    {"NegativeFinetuneEpochs", OK_ATTACK "finetune: {epochs: -3}\n", "finetune.epochs",
     "must be >= 1, got -3"},
    {"ZeroEpochs", OK_ATTACK "training: {epochs: 0}\n", "training.epochs", "must be >= 1, got 0"},
    {"ZeroFinetuneEpochs", OK_ATTACK "finetune: {epochs: 0}\n", "finetune.epochs",
     "must be >= 1, got 0"},
    {"ZeroEpochsInAnOverride", "attacks: [{name: a, overrides: {finetune: {epochs: 0}}}]\n",
     "attacks[0].overrides.finetune.epochs", "must be >= 1, got 0"},
    // Contradictions: keys that would be ignored, or say two different things.
    {"AllToAllWithLabel", "attacks: [{name: a, target: {mode: all_to_all, label: 3}}]\n",
     "attacks[0].target.label", "an all_to_all attack has no single target label"},
    {"SigAllToAll", "attacks: [{name: a, trigger: {type: sig}, target: {mode: all_to_all}}]\n",
     "attacks[0].target.mode", "clean-label"},
    {"PatchWithAlpha", "attacks: [{name: a, trigger: {type: patch, alpha: 0.5}}]\n",
     "attacks[0].trigger.alpha", "only used by type blend"},
    {"BlendWithSize", "attacks: [{name: a, trigger: {type: blend, size: 4}}]\n",
     "attacks[0].trigger.size", "only used by type patch"},
    {"NoiseBlendWithImage", "attacks: [{name: a, trigger: {type: blend, pattern: noise, image: x.pgm}}]\n",
     "attacks[0].trigger.image", "only used by type mask and by type blend with pattern image"},
    {"SigWithK", "attacks: [{name: a, trigger: {type: sig, k: 4}}]\n", "attacks[0].trigger.k",
     "only used by type wanet"},
    {"IdxWithTrainFile", OK_ATTACK "data: {format: idx, train_file: t.h5}\n", "data.train_file",
     "only used when data.format is hdf5"},
    {"Hdf5WithTrainImages", OK_ATTACK "data: {format: hdf5, train_file: a.h5, test_file: b.h5, train_images: x.gz}\n",
     "data.train_images", "only used when data.format is idx"},
    {"IdxWithScale", OK_ATTACK "data: {scale: 255}\n", "data.scale", "only used when data.format is hdf5"},
    {"HeadOnVgg", OK_ATTACK "model: {name: vgg, head: global_pool}\n", "model.head",
     "only used by model small_cnn"},
    {"HiddenOnPreact", OK_ATTACK "model: {name: preact_resnet18, hidden: 64}\n", "model.hidden",
     "preact_resnet18 has no hidden layer"},
    {"SmallCnnTwoWidths", OK_ATTACK "model: {widths: [8, 16]}\n", "model.widths",
     "small_cnn takes 3 widths, got 2"},
    {"DeepidThreeWidths", OK_ATTACK "model: {name: deepid, widths: [8, 16, 32]}\n", "model.widths",
     "deepid takes 4 widths, got 3"},
    {"OneClass", OK_ATTACK "data: {num_classes: 1}\n", "data.num_classes", "must be 0 (inferred) or >= 2"},
    {"BatchSizeZero", OK_ATTACK "training: {batch_size: 0}\n", "training.batch_size",
     "must be >= 1"},
    {"LrZero", OK_ATTACK "finetune: {lr: 0}\n", "finetune.lr", "must be > 0, got 0"},
    {"MomentumOne", OK_ATTACK "training: {momentum: 1}\n", "training.momentum",
     "must be in [0, 1), got 1"},
    {"NegativeWeightDecay", OK_ATTACK "training: {weight_decay: -0.1}\n", "training.weight_decay",
     "must be >= 0, got -0.1"},
    // Defenses and pruning.
    {"NoDefenses", OK_ATTACK "defenses: []\n", "defenses", "at least one defense"},
    {"DuplicateDefense", OK_ATTACK "defenses: [prune, none, prune]\n", "defenses[2]",
     "duplicate defense 'prune'"},
    {"PruneRateOne", OK_ATTACK "pruning: {rates: [0.5, 1.0]}\n", "pruning.rates[1]",
     "must be in [0, 1), got 1"},
    {"PruneRateAbove1", OK_ATTACK "pruning: {rates: [0.5, 1.2]}\n", "pruning.rates[1]",
     "must be in [0, 1), got 1.2"},
    {"PruneRateNegative", OK_ATTACK "pruning: {rates: [-0.1]}\n", "pruning.rates[0]",
     "must be in [0, 1), got -0.1"},
    {"OverrideBadValue", "attacks: [{name: a, overrides: {training: {lr: 0}}}]\n",
     "attacks[0].overrides.training.lr", "must be > 0, got 0"},
    {"OverrideUnknownSection", "attacks: [{name: a, overrides: {data: {dir: x}}}]\n",
     "attacks[0].overrides.data", "unknown key (known: training, finetune, pruning)"},
    {"OverrideDuplicateRate", "attacks: [{name: a, overrides: {pruning: {rates: [0.1, 0.1]}}}]\n",
     "attacks[0].overrides.pruning.rates[1]", "duplicate pruning rate"},
    {"NoThreshold", OK_ATTACK "pruning: {max_val_drop: []}\n", "pruning.max_val_drop",
     "at least one stopping threshold"},
    {"DuplicateThreshold", OK_ATTACK "pruning: {max_val_drop: [0.02, 0.02]}\n", "pruning.max_val_drop[1]",
     "duplicate stopping threshold '0.02'"},
    {"ThresholdOne", OK_ATTACK "pruning: {max_val_drop: [0.02, 1]}\n", "pruning.max_val_drop[1]",
     "must be in [0, 1), got 1"},
    {"DuplicatePruneRate", OK_ATTACK "pruning: {rates: [0.5, 0.3, 0.5]}\n", "pruning.rates[2]",
     "duplicate pruning rate '0.5' (also at pruning.rates[0])"},
    {"PruneDropOne", OK_ATTACK "pruning: {max_val_drop: 1}\n", "pruning.max_val_drop",
     "must be in [0, 1)"},
    // Seeds, threads, name.
    {"NoSeeds", OK_ATTACK "seeds: []\n", "seeds", "at least one seed"},
    {"NegativeSeed", OK_ATTACK "seeds: [1, -2]\n", "seeds[1]", "must be >= 0, got -2"},
    {"DuplicateSeed", OK_ATTACK "seeds: [3, 4, 3]\n", "seeds[2]", "duplicate seed '3'"},
    {"SeedNotAnInteger", OK_ATTACK "seeds: one\n", "seeds", "expected an integer, got 'one'"},
    {"NegativeThreads", OK_ATTACK "threads: -1\n", "threads", "must be >= 0, got -1"},
    {"EmptyName", OK_ATTACK "name: ''\n", "name", "must not be empty"},
    // Models as a sweep axis (`models:`).
#define M0 "  - {name: a, arch: small_cnn}\n"
    {"ModelAndModels", OK_ATTACK "model: {name: vgg}\nmodels:\n" M0, "models",
     "either model (one model) or models (a list), not both"},
    {"DuplicateModelName", OK_ATTACK "models:\n" M0 "  - {name: b, arch: vgg}\n  - {name: a, arch: small_cnn, head: max_pool}\n",
     "models[2].name", "duplicate model name 'a' (also at models[0].name)"},
    {"UnknownArch", OK_ATTACK "models:\n" M0 "  - {name: b, arch: resnet50}\n", "models[1].arch",
     "unknown value 'resnet50' (known: small_cnn, vgg, preact_resnet18, deepid)"},
    {"BadHead", OK_ATTACK "models:\n" M0 "  - {name: b, arch: small_cnn, head: avg}\n", "models[1].head",
     "'avg'"},
    {"HeadOnVggEntry", OK_ATTACK "models:\n" M0 "  - {name: b, arch: vgg, head: max_pool}\n", "models[1].head",
     "only used by model small_cnn"},
    {"WidthsOfEntry", OK_ATTACK "models:\n" M0 "  - {name: b, arch: small_cnn, widths: [8, 16]}\n",
     "models[1].widths", "small_cnn takes 3 widths, got 2"},
    {"ModelWithoutName", OK_ATTACK "models:\n  - {arch: small_cnn}\n", "models[0].name", "a name is required"},
    {"ModelWithoutArch", OK_ATTACK "models:\n  - {name: a}\n", "models[0].arch", "required"},
    {"ModelNameWithSpace", OK_ATTACK "models:\n  - {name: 'a b', arch: small_cnn}\n", "models[0].name",
     "may only hold letters, digits"},
    {"NoModels", OK_ATTACK "models: []\n", "models", "at least one model"},
    {"ModelsNotAList", OK_ATTACK "models: {name: a}\n", "models", "expected a list, got a map"},
    {"UnknownModelsKey", OK_ATTACK "models:\n  - {name: a, arch: small_cnn, depth: 3}\n", "models[0].depth",
     "unknown key (known: name, arch, widths, hidden, head)"},
#undef M0
    // Data-parallel settings of worker groups.
    {"UnknownBackend", OK_ATTACK "parallel: {backend: gloo}\n", "parallel.backend", "'gloo'"},
    {"ZeroBucket", OK_ATTACK "parallel: {bucket_mb: 0}\n", "parallel.bucket_mb", "got 0"},
    {"HugeBucket", OK_ATTACK "parallel: {bucket_mb: 5000}\n", "parallel.bucket_mb", "got 5000"},
    {"UnknownParallelKey", OK_ATTACK "parallel: {ranks: 2}\n", "parallel.ranks", "unknown key"},
    // A defense's own settings (common/defense_catalog.cpp).
    {"ClpUOutOfRange", OK_ATTACK "defenses: [none, clp]\nclp: {u: -1}\n", "clp.u", "must be in [0, 100], got -1"},
    {"AnpIterationsNotWhole", OK_ATTACK "defenses: [anp]\nanp: {iterations: 2.5}\n", "anp.iterations",
     "expected an integer"},
    {"UnknownNadKey", OK_ATTACK "defenses: [nad]\nnad: {gamma: 1}\n", "nad.gamma",
     "unknown key (known: teacher_epochs, epochs, beta_low, beta_mid, beta_high, p)"},
    {"SettingsOfAnUnlistedDefense", OK_ATTACK "defenses: [none, prune]\nanp: {eps: 0.1}\n", "anp",
     "settings for a defense the file does not run (add 'anp' to defenses)"},
    // Received models and the networks they need (docs/RECEIVED-MODELS.md).
    {"ModelFileWithoutDigest", "attacks: [{name: a, model_file: m.pt}]\n", "attacks[0].model_sha256",
     "required with model_file"},
    {"ModelDigestNotHex", "attacks: [{name: a, model_file: m.pt, model_sha256: abc}]\n", "attacks[0].model_sha256",
     "expected 64 lowercase hex digits, got 'abc'"},
    {"DigestWithoutModelFile", "attacks: [{name: a, model_sha256: " SHA_ZERO "}]\n", "attacks[0].model_sha256",
     "only with model_file"},
    {"UnknownModelLayout", "attacks: [{name: a, model_file: m.pt, model_sha256: " SHA_ZERO ", model_layout: timm}]\n",
     "attacks[0].model_layout", "timm"},
    {"ReceivedModelPruningAware",
     "attacks: [{name: a, model_file: m.pt, model_sha256: " SHA_ZERO ", pruning_aware: {max_val_drop: 0.04}}]\n",
     "attacks[0].pruning_aware", "not trained here"},
    {"FinalBnOnSmallCnn", OK_ATTACK "model: {name: small_cnn, final_bn: false}\n", "model.final_bn",
     "preact_resnet18"},
    {"InputMeanWithoutStd", OK_ATTACK "model: {name: small_cnn, input_mean: [0.5]}\n", "model.input_mean",
     "input_mean and input_std go together"},
    {"InputStdZero", OK_ATTACK "model: {name: small_cnn, input_mean: [0.5], input_std: [0]}\n", "model.input_std",
     "every value must be > 0"},
};

INSTANTIATE_TEST_SUITE_P(ExperimentSpec, BadSpec, testing::ValuesIn(kBadCases),
                         [](const testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.label);
                         });

}  // namespace
}  // namespace fineprune
