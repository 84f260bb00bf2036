// The experiment spec: everything an experiment YAML file says, as plain validated C++ values.
//
// Produced by load_experiment_spec() (experiment_spec_yaml.cpp), which validates the whole file
// before any work starts and names the key path of every problem. No torch, no MPI here: the
// orchestrator and the results layer share these types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fineprune {

// Where the images come from. Paths are resolved against `dir` (if relative) at load time.
struct DataSpec {
  std::string format = "idx";  // idx | cifar10 | hdf5
  std::string dir;             // base folder for the relative paths below
  // idx: four IDX files, gzipped or not.
  std::string train_images = "train-images-idx3-ubyte.gz";
  std::string train_labels = "train-labels-idx1-ubyte.gz";
  std::string test_images = "t10k-images-idx3-ubyte.gz";
  std::string test_labels = "t10k-labels-idx1-ubyte.gz";
  // cifar10: binary batch files (data_batch_1.bin ... and test_batch.bin) inside `dir`.
  std::vector<std::string> train_batches = {"data_batch_1.bin", "data_batch_2.bin",
                                            "data_batch_3.bin", "data_batch_4.bin",
                                            "data_batch_5.bin"};
  std::string test_batch = "test_batch.bin";
  // hdf5: one file per split with an image and a label dataset.
  std::string train_file;
  std::string test_file;
  std::string images_key = "data";
  std::string labels_key = "label";
  std::string layout = "nhwc";  // nhwc | nchw
  double scale = 0.0;           // divide pixel values by this; 0 = 255 for uint8, 1 for float
  int64_t num_classes = 0;      // 0 = max label + 1

  int64_t validation_size = 5000;  // defender's clean validation set, split off the training set
  int64_t train_subset = 0;        // 0 = all; else a seeded subset of the attacker's training data
  int64_t test_subset = 0;         // 0 = all; else a seeded subset of the test set
};

struct ModelSpec {
  // The model's label in rows, keys and reports: a `models:` entry's `name`. Empty for the single
  // `model:` section, whose label is its architecture name (model_label()).
  std::string label;
  std::string name = "small_cnn";  // architecture: small_cnn | vgg | preact_resnet18 | deepid
  std::vector<int64_t> widths;     // conv widths; empty = the model's default; last = prunable
  int64_t hidden = 0;              // width of the first dense layer; 0 = the model's default
  // small_cnn only: how the pruned layer reaches the dense head. "flatten": every position of
  // every channel; "max_pool": a 2x2 max-pool first (7x7 -> 3x3 on 28x28 images: the last row
  // and column are dropped); "global_pool": each channel averaged over positions first.
  std::string head = "flatten";
  // preact_resnet18 only: the BatchNorm and ReLU after the last stage, before the pooling. The
  // CIFAR-10 backdoor benchmarks' PreAct-ResNet-18 (BackdoorBench, WaNet's code) has none: false
  // builds that network, whose prunable activation is the last stage's sum, pooled.
  bool final_bn = true;
  // Per-channel input normalisation the network applies first, (x - mean) / std on pixels in
  // [0, 1] (triggers are stamped on pixels, before it): what a model trained with a normalising
  // data pipeline (the CIFAR-10 benchmarks) expects. Empty: none. Both or neither, one value per
  // image channel, std > 0.
  std::vector<double> input_mean, input_std;
};

// One optimiser run (attack training, clean pre-training, fine-tuning).
struct TrainSpec {
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
};

// x' = (1 - m) * x + m * P for patch / blend / mask; SIG adds a sinusoid; WaNet warps.
struct TriggerSpec {
  std::string type = "patch";  // patch | blend | mask | sig | wanet
  // patch
  int64_t size = 3;
  std::string position = "bottom_right";  // top_left | top_right | bottom_left | bottom_right | center
  int64_t margin = 1;                     // pixels between patch and image border
  std::string style = "checkerboard";     // solid | checkerboard
  double value = 1.0;                     // solid patch intensity (0..1)
  // blend
  double alpha = 0.2;
  std::string pattern = "noise";  // noise | image
  std::string image;              // PGM/PPM file for blend pattern or mask (type mask)
  int64_t pattern_seed = 12345;   // seed of the noise pattern / warping field (fixed per attack)
  // mask: the image's non-zero pixels form the mask m (intensity scaled to [0,1]); P = `value`
  // sig
  double delta = 20.0;  // amplitude in 0..255 units
  double frequency = 6.0;
  // wanet
  int64_t k = 4;
  double strength = 0.5;  // WaNet's s
};

struct TargetSpec {
  std::string mode = "all_to_one";  // all_to_one | all_to_all
  int64_t label = 0;                // the target label t (all_to_one only)
};

// The pruning-aware attack (PAPER.md): clean training, pruning, poisoned training of the pruned
// net, reinstatement of the pruned channels with a lowered bias.
struct PruningAwareSpec {
  bool enabled = false;
  double max_val_drop = 0.04;   // attacker prunes until clean accuracy would drop by more
  double bias_decrease = 1.0;   // subtracted from the reinstated channels' bias
  int64_t clean_epochs = 0;     // 0 = training.epochs
};

struct PruningSpec {
  // Stopping points: prune until validation accuracy would drop by more than this (fraction,
  // 0.04 = 4 points). YAML `max_val_drop`: a number or a list; each gives its own rows (prune
  // and fine-prune at that stop), the first also marks the pruning curve's `is_stop`.
  std::vector<double> max_val_drops = {0.04};
  std::vector<double> rates;  // fixed pruning fractions in [0, 1), each gives its own rows
};

struct AttackSpec {
  std::string name;  // label in the tables; unique within the file
  TriggerSpec trigger;
  TargetSpec target;
  double poison_rate = 0.1;  // (0, 1]; for SIG: fraction of the target class poisoned
  PruningAwareSpec pruning_aware;
  // Per-attack overrides (YAML `overrides: {training: ..., finetune: ..., pruning: ...}`): the
  // file's section with what the attack sets merged over it; unset: the file's own. Read them
  // through spec_for_attack().
  std::optional<TrainSpec> training;
  std::optional<TrainSpec> finetune;
  std::optional<PruningSpec> pruning;
  // A model trained elsewhere (a PyTorch state_dict; docs/RECEIVED-MODELS.md): the attack's model
  // is this file, loaded for every seed instead of trained (poison_rate and training then unused;
  // the trigger is what ASR is measured with). model_sha256 pins its bytes (checked before any
  // work and again at every load); model_layout names its tensors (common/model_layouts.h).
  std::string model_file;  // resolved next to the YAML file; empty: trained here
  std::string model_sha256;
  std::string model_layout = "fineprune";
};

// How a worker group of several ranks trains one task together (workers/parallel/). Not part of
// any task key: a group's results agree with one rank's to rounding, whatever the backend.
struct ParallelSpec {
  std::string backend = "auto";  // auto | mpi | nccl (auto: NCCL for CUDA training where built)
  double bucket_mb = 25;         // gradient fusion bucket, MiB; one all-reduce per bucket
};

struct ExperimentSpec {
  std::string source_file;  // the YAML file it was read from (for messages)
  std::string source_text;  // the YAML text, stored with the results
  std::string name = "experiment";
  DataSpec data;
  // The model a task runs with: the `model:` section, or one entry of `models` as chosen by
  // spec_for_model() (the loader leaves the first there).
  ModelSpec model;
  // The `models:` list (labels unique); empty when the file has the single `model:` section.
  // Read both through sweep_models().
  std::vector<ModelSpec> models;
  TrainSpec training;
  std::vector<AttackSpec> attacks;
  std::vector<std::string> defenses = {"none", "prune", "finetune", "fineprune"};
  // Each listed defense that takes settings (common/defense_catalog.h), with every setting: the
  // file's own section (`clp: {u: 2}`) over the catalog's defaults. Read by name.
  std::map<std::string, std::map<std::string, double>> defense_settings;
  PruningSpec pruning;
  TrainSpec finetune{5, 64, 0.01, 0.9, 5e-4};
  std::string asr_counts = "non_target";  // non_target | all
  std::vector<int64_t> seeds = {1};
  int64_t threads = 0;  // 0 = all cores
  ParallelSpec parallel;
};

// The spec as it applies to `attack`: the attack's overrides in place of the file's training,
// finetune and pruning sections. Every task of that attack runs, and is keyed, with it.
ExperimentSpec spec_for_attack(const ExperimentSpec& spec, const AttackSpec& attack);

// The label of a model in rows, keys and reports: its `models:` name, else its architecture name.
std::string model_label(const ModelSpec& model);

// The sweep's models, in file order: the `models:` list, or the one `model:` section.
std::vector<ModelSpec> sweep_models(const ExperimentSpec& spec);

// The spec with `model` = sweep_models(spec)[index] (throws Error when out of range). Every task
// of that model runs, and is keyed, with it; compose with spec_for_attack in either order.
ExperimentSpec spec_for_model(const ExperimentSpec& spec, size_t index);

// Names accepted by the validator, in one place.
const std::vector<std::string>& known_defenses();     // defense_catalog.h's names, in its order
const std::vector<std::string>& known_models();       // small_cnn vgg preact_resnet18 deepid
const std::vector<std::string>& known_trigger_types();  // patch blend mask sig wanet

// Whether `spec` lists `defense` under `defenses:`.
bool lists_defense(const ExperimentSpec& spec, const std::string& defense);

// The settings of `defense` in `spec` (its defaults where the defense is not listed).
std::map<std::string, double> settings_of(const ExperimentSpec& spec, const std::string& defense);

// Reads and validates an experiment file. Throws ConfigError("<file>: <key.path>: <problem>")
// for malformed YAML, unknown keys or names, and out-of-range values; nothing is half-read.
ExperimentSpec load_experiment_spec(const std::string& path);

// Same, from text already in memory (`path` is only used in messages).
ExperimentSpec parse_experiment_spec(const std::string& yaml_text, const std::string& path);

}  // namespace fineprune
