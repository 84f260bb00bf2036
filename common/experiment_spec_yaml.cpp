// Reads an experiment YAML file into an ExperimentSpec and validates all of it before any work.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/defense_catalog.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/model_layouts.h"
#include "common/yaml_reading.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

namespace fineprune {

const std::vector<std::string>& known_defenses() {
  static const std::vector<std::string> names = defense_names();
  return names;
}

std::map<std::string, double> settings_of(const ExperimentSpec& spec, const std::string& defense) {
  const auto it = spec.defense_settings.find(defense);
  return it != spec.defense_settings.end() ? it->second : default_settings(defense_info(defense));
}

const std::vector<std::string>& known_models() {
  static const std::vector<std::string> names = {"small_cnn", "vgg", "preact_resnet18", "deepid"};
  return names;
}

const std::vector<std::string>& known_trigger_types() {
  static const std::vector<std::string> names = {"patch", "blend", "mask", "sig", "wanet"};
  return names;
}

namespace {

// Attack names become table labels and fixed-size HDF5 strings (48 bytes with the terminator).
constexpr size_t kMaxAttackNameBytes = 47;

// Relative paths in the file mean "next to the YAML file", wherever the program runs from.
std::string resolve_path(const std::string& value, const std::filesystem::path& base_dir) {
  const std::filesystem::path p(value);
  if (value.empty() || p.is_absolute()) return value;
  return (base_dir / p).lexically_normal().string();
}

// Reads a string and checks it against a fixed list of names.
void read_name(const Field& f, std::string& out, const std::vector<std::string>& known) {
  read_into(f, out);
  if (f.present()) check_one_of(f, out, known);
}

// Fails on the second occurrence of a value in a list of named items.
template <typename T>
void check_unique(const std::vector<Field>& items, const std::vector<T>& values,
                  const std::string& what) {
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (values[i] == values[j]) {
        std::ostringstream text;
        text << "duplicate " << what << " '" << values[i] << "' (also at " << items[j].path()
             << ")";
        items[i].fail(text.str());
      }
    }
  }
}

// Keys that mean something only in another setting (another data format, trigger type, model):
// set anyway, they would be silently ignored, so they are refused.
void refuse_unused(const MapReader& m, const std::vector<std::string>& keys, bool used,
                   const std::string& only_when) {
  if (used) return;
  for (const std::string& key : keys) {
    if (m.has(key)) m.get(key).fail("only used " + only_when);
  }
}

void read_data(const Field& f, const std::filesystem::path& base_dir, DataSpec& d) {
  const MapReader m(f, {"format", "dir", "train_images", "train_labels", "test_images",
                        "test_labels", "train_batches", "test_batch", "train_file", "test_file",
                        "images_key", "labels_key", "layout", "scale", "num_classes",
                        "validation_size", "train_subset", "test_subset"});
  read_name(m.get("format"), d.format, {"idx", "cifar10", "hdf5"});
  read_into(m.get("dir"), d.dir);
  d.dir = resolve_path(d.dir, base_dir);
  read_into(m.get("train_images"), d.train_images);
  read_into(m.get("train_labels"), d.train_labels);
  read_into(m.get("test_images"), d.test_images);
  read_into(m.get("test_labels"), d.test_labels);
  read_into(m.get("train_batches"), d.train_batches);
  read_into(m.get("test_batch"), d.test_batch);
  read_into(m.get("train_file"), d.train_file);
  read_into(m.get("test_file"), d.test_file);
  read_into(m.get("images_key"), d.images_key);
  read_into(m.get("labels_key"), d.labels_key);
  read_name(m.get("layout"), d.layout, {"nhwc", "nchw"});
  read_into(m.get("scale"), d.scale);
  check_at_least(m.get("scale"), d.scale, 0.0);
  read_into(m.get("num_classes"), d.num_classes);
  check_at_least(m.get("num_classes"), d.num_classes, int64_t{0});
  if (d.num_classes == 1) m.get("num_classes").fail("must be 0 (inferred) or >= 2, got 1");
  read_into(m.get("validation_size"), d.validation_size);
  check_at_least(m.get("validation_size"), d.validation_size, int64_t{1});
  read_into(m.get("train_subset"), d.train_subset);
  check_at_least(m.get("train_subset"), d.train_subset, int64_t{0});
  read_into(m.get("test_subset"), d.test_subset);
  check_at_least(m.get("test_subset"), d.test_subset, int64_t{0});

  if (d.format == "hdf5") {
    if (d.train_file.empty()) m.get("train_file").fail("required when data.format is hdf5");
    if (d.test_file.empty()) m.get("test_file").fail("required when data.format is hdf5");
  }
  if (d.format == "cifar10" && d.train_batches.empty()) {
    m.get("train_batches").fail("at least one batch file is required when data.format is cifar10");
  }
  refuse_unused(m, {"train_images", "train_labels", "test_images", "test_labels"}, d.format == "idx",
                "when data.format is idx");
  refuse_unused(m, {"train_batches", "test_batch"}, d.format == "cifar10",
                "when data.format is cifar10");
  refuse_unused(m, {"train_file", "test_file", "images_key", "labels_key", "layout", "scale"},
                d.format == "hdf5", "when data.format is hdf5");
}

// `arch_key` names the architecture: "name" in the single `model:` section, "arch" in a
// `models:` entry (whose "name" is its label, read by read_models).
void read_model(const Field& f, ModelSpec& model, const std::string& arch_key = "name") {
  const MapReader m(f, arch_key == "name"
                           ? std::vector<std::string>{"name", "widths", "hidden", "head", "final_bn", "input_mean", "input_std"}
                           : std::vector<std::string>{"name", "arch", "widths", "hidden", "head", "final_bn",
                                                      "input_mean", "input_std"});
  read_name(m.get(arch_key), model.name, known_models());
  const Field widths = m.get("widths");
  read_into(widths, model.widths);
  if (widths.present()) {
    const std::vector<Field> items = read_list(widths);
    for (size_t i = 0; i < items.size(); ++i) check_at_least(items[i], model.widths[i], int64_t{1});
  }
  read_into(m.get("hidden"), model.hidden);
  check_at_least(m.get("hidden"), model.hidden, int64_t{0});
  read_into(m.get("head"), model.head);
  check_one_of(m.get("head"), model.head, {"flatten", "max_pool", "global_pool"});
  // The models' own rules, so a file is refused before any data is read.
  const size_t want = model.name == "small_cnn" ? 3 : model.name == "vgg" ? 0 : 4;
  if (want != 0 && !model.widths.empty() && model.widths.size() != want) {
    widths.fail(model.name + " takes " + std::to_string(want) + " widths, got " +
                std::to_string(model.widths.size()));
  }
  read_into(m.get("final_bn"), model.final_bn);
  read_into(m.get("input_mean"), model.input_mean);
  read_into(m.get("input_std"), model.input_std);
  if (model.input_mean.size() != model.input_std.size()) {
    (m.get("input_mean").present() ? m.get("input_mean") : m.get("input_std"))
        .fail("input_mean and input_std go together, one value per image channel each (" +
              std::to_string(model.input_mean.size()) + " and " + std::to_string(model.input_std.size()) + " given)");
  }
  for (double s : model.input_std) {
    if (!(s > 0) || !std::isfinite(s)) m.get("input_std").fail("every value must be > 0, got " + std::to_string(s));
  }
  for (double v : model.input_mean) {
    if (!std::isfinite(v)) m.get("input_mean").fail("every value must be finite");
  }
  refuse_unused(m, {"head"}, model.name == "small_cnn", "by model small_cnn");
  refuse_unused(m, {"final_bn"}, model.name == "preact_resnet18", "by model preact_resnet18");
  refuse_unused(m, {"hidden"}, model.name != "preact_resnet18",
                "by models small_cnn, vgg and deepid (preact_resnet18 has no hidden layer)");
}

// Letters, digits, '_', '.', '-', non-empty, at most kMaxAttackNameBytes: names in a row.
void check_label(const Field& f, const std::string& label) {
  if (label.empty()) f.fail("a non-empty name is required");
  if (label.size() > kMaxAttackNameBytes) {
    f.fail("longer than " + std::to_string(kMaxAttackNameBytes) + " bytes: '" + label + "'");
  }
  const bool bad_char = std::any_of(label.begin(), label.end(), [](char c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return !(alnum || c == '_' || c == '.' || c == '-');
  });
  if (bad_char) f.fail("'" + label + "' may only hold letters, digits, '_', '.' and '-'");
}

// `models:` a list of {name: <label>, arch: <model>, widths, hidden, head}, labels unique.
void read_models(const Field& f, std::vector<ModelSpec>& models) {
  const std::vector<Field> items = read_list(f);
  if (items.empty()) f.fail("at least one model is required");
  std::vector<Field> name_fields;
  std::vector<std::string> labels;
  for (const Field& item : items) {
    ModelSpec model;
    const MapReader m(item, {"name", "arch", "widths", "hidden", "head"});
    const Field name = m.get("name");
    if (!name.present()) name.fail("a name is required (the model's label in rows and reports)");
    read_into(name, model.label);
    check_label(name, model.label);
    if (!m.get("arch").present()) m.get("arch").fail("required (one of: " + join(known_models(), ", ") + ")");
    read_model(item, model, "arch");
    name_fields.push_back(name);
    labels.push_back(model.label);
    models.push_back(std::move(model));
  }
  check_unique(name_fields, labels, "model name");
}

void read_train(const Field& f, TrainSpec& t) {
  const MapReader m(f, {"epochs", "batch_size", "lr", "momentum", "weight_decay"});
  read_into(m.get("epochs"), t.epochs);
  check_at_least(m.get("epochs"), t.epochs, int64_t{1});
  read_into(m.get("batch_size"), t.batch_size);
  check_at_least(m.get("batch_size"), t.batch_size, int64_t{1});
  read_into(m.get("lr"), t.lr);
  check_above(m.get("lr"), t.lr, 0.0);
  read_into(m.get("momentum"), t.momentum);
  check_range(m.get("momentum"), t.momentum, 0.0, true, 1.0, false);
  read_into(m.get("weight_decay"), t.weight_decay);
  check_at_least(m.get("weight_decay"), t.weight_decay, 0.0);
}

void read_trigger(const Field& f, const std::filesystem::path& base_dir, TriggerSpec& t) {
  const MapReader m(f, {"type", "size", "position", "margin", "style", "value", "alpha",
                        "pattern", "image", "pattern_seed", "delta", "frequency", "k",
                        "strength"});
  read_name(m.get("type"), t.type, known_trigger_types());
  read_into(m.get("size"), t.size);
  check_at_least(m.get("size"), t.size, int64_t{1});
  read_name(m.get("position"), t.position, {"top_left", "top_right", "bottom_left", "bottom_right", "center"});
  read_into(m.get("margin"), t.margin);
  check_at_least(m.get("margin"), t.margin, int64_t{0});
  read_name(m.get("style"), t.style, {"solid", "checkerboard"});
  read_into(m.get("value"), t.value);
  check_range(m.get("value"), t.value, 0.0, true, 1.0, true);
  read_into(m.get("alpha"), t.alpha);
  check_range(m.get("alpha"), t.alpha, 0.0, false, 1.0, true);
  read_name(m.get("pattern"), t.pattern, {"noise", "image"});
  read_into(m.get("image"), t.image);
  t.image = resolve_path(t.image, base_dir);
  read_into(m.get("pattern_seed"), t.pattern_seed);
  check_at_least(m.get("pattern_seed"), t.pattern_seed, int64_t{0});
  read_into(m.get("delta"), t.delta);
  check_range(m.get("delta"), t.delta, 0.0, false, 255.0, true);
  read_into(m.get("frequency"), t.frequency);
  check_above(m.get("frequency"), t.frequency, 0.0);
  read_into(m.get("k"), t.k);
  check_at_least(m.get("k"), t.k, int64_t{2});
  read_into(m.get("strength"), t.strength);
  check_above(m.get("strength"), t.strength, 0.0);

  // The image file itself is opened (and checked) by the worker that builds the trigger.
  if (t.image.empty() && t.type == "mask") m.get("image").fail("required when type is mask");
  if (t.image.empty() && t.pattern == "image") m.get("image").fail("required when pattern is image");

  // Each type's own keys; another type's would be ignored.
  refuse_unused(m, {"size", "position", "margin", "style"}, t.type == "patch", "by type patch");
  refuse_unused(m, {"value"}, t.type == "patch" || t.type == "mask", "by types patch and mask");
  refuse_unused(m, {"alpha", "pattern"}, t.type == "blend", "by type blend");
  refuse_unused(m, {"image"}, t.type == "mask" || (t.type == "blend" && t.pattern == "image"),
                "by type mask and by type blend with pattern image");
  refuse_unused(m, {"pattern_seed"}, (t.type == "blend" && t.pattern == "noise") || t.type == "wanet",
                "by type blend with pattern noise and by type wanet");
  refuse_unused(m, {"delta", "frequency"}, t.type == "sig", "by type sig");
  refuse_unused(m, {"k", "strength"}, t.type == "wanet", "by type wanet");
}

void read_target(const Field& f, int64_t num_classes, TargetSpec& t) {
  const MapReader m(f, {"mode", "label"});
  read_name(m.get("mode"), t.mode, {"all_to_one", "all_to_all"});
  read_into(m.get("label"), t.label);
  check_at_least(m.get("label"), t.label, int64_t{0});
  // A target label must name a class, when the file says how many there are (else the data
  // is checked before any work: workers/data/data_check.h).
  if (num_classes > 0 && t.label >= num_classes) {
    m.get("label").fail("must be < data.num_classes (" + std::to_string(num_classes) + "), got " +
                        std::to_string(t.label));
  }
  if (t.mode == "all_to_all" && m.has("label")) {
    m.get("label").fail("an all_to_all attack has no single target label (image of class y gets "
                        "y + 1): remove it, or use mode all_to_one");
  }
}

void read_pruning_aware(const Field& f, PruningAwareSpec& p) {
  const MapReader m(f, {"enabled", "max_val_drop", "bias_decrease", "clean_epochs"});
  // Writing the section at all asks for the attack; `enabled: false` keeps it written but off.
  p.enabled = true;
  read_into(m.get("enabled"), p.enabled);
  read_into(m.get("max_val_drop"), p.max_val_drop);
  check_range(m.get("max_val_drop"), p.max_val_drop, 0.0, true, 1.0, false);
  read_into(m.get("bias_decrease"), p.bias_decrease);
  check_at_least(m.get("bias_decrease"), p.bias_decrease, 0.0);
  read_into(m.get("clean_epochs"), p.clean_epochs);
  check_at_least(m.get("clean_epochs"), p.clean_epochs, int64_t{0});
}

void read_pruning(const Field& f, PruningSpec& p) {
  const MapReader m(f, {"max_val_drop", "rates"});
  const Field drops = m.get("max_val_drop");
  if (drops.present()) {
    // `max_val_drop: 0.04` is shorthand for `max_val_drop: [0.04]`.
    const std::vector<Field> items = drops.node().IsScalar() ? std::vector<Field>{drops} : read_list(drops);
    if (items.empty()) drops.fail("at least one stopping threshold is required");
    p.max_val_drops.assign(items.size(), 0.0);
    for (size_t i = 0; i < items.size(); ++i) {
      read_into(items[i], p.max_val_drops[i]);
      check_range(items[i], p.max_val_drops[i], 0.0, true, 1.0, false);
    }
    check_unique(items, p.max_val_drops, "stopping threshold");
  }
  const Field rates = m.get("rates");
  read_into(rates, p.rates);
  if (rates.present()) {
    const std::vector<Field> items = read_list(rates);
    for (size_t i = 0; i < items.size(); ++i) {
      check_range(items[i], p.rates[i], 0.0, true, 1.0, false);
    }
    check_unique(items, p.rates, "pruning rate");  // a rate twice would be one task twice
  }
}

// `overrides` of an attack: each section merged over the file's (`file`, read before).
void read_overrides(const Field& f, const ExperimentSpec& file, AttackSpec& a) {
  const MapReader m(f, {"training", "finetune", "pruning"});
  if (m.has("training")) {
    a.training = file.training;
    read_train(m.get("training"), *a.training);
  }
  if (m.has("finetune")) {
    a.finetune = file.finetune;
    read_train(m.get("finetune"), *a.finetune);
  }
  if (m.has("pruning")) {
    a.pruning = file.pruning;
    read_pruning(m.get("pruning"), *a.pruning);
  }
}

// Returns the name's field, for the duplicate check across attacks.
// An attack's received model: model_file with its model_sha256 (and model_layout), or none of them.
void read_received_model(const MapReader& m, const std::filesystem::path& base_dir, AttackSpec& a) {
  const Field file = m.get("model_file");
  if (!file.present()) {
    for (const char* key : {"model_sha256", "model_layout"}) {
      if (m.has(key)) m.get(key).fail("only with model_file (the received model it describes)");
    }
    return;
  }
  read_into(file, a.model_file);
  if (a.model_file.empty()) file.fail("must name a file");
  a.model_file = resolve_path(a.model_file, base_dir);
  const Field digest = m.get("model_sha256");
  if (!digest.present()) {
    digest.fail("required with model_file: the SHA-256 of its bytes (sha256sum " + a.model_file +
                "), so that a changed file cannot pass for the one the results describe");
  }
  read_into(digest, a.model_sha256);
  if (a.model_sha256.size() != 64 || a.model_sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    digest.fail("expected 64 lowercase hex digits, got '" + a.model_sha256 + "'");
  }
  read_name(m.get("model_layout"), a.model_layout, layout_names());
  if (a.pruning_aware.enabled) {
    m.get("pruning_aware").fail("a received model (model_file) is not trained here, so it has no pruning-aware training");
  }
}

Field read_attack(const Field& f, const std::filesystem::path& base_dir, const ExperimentSpec& file,
                  AttackSpec& a) {
  const int64_t num_classes = file.data.num_classes;
  const MapReader m(f, {"name", "trigger", "target", "poison_rate", "pruning_aware", "overrides", "model_file",
                        "model_sha256", "model_layout"});
  const Field name = m.get("name");
  read_into(name, a.name);
  check_label(name, a.name);

  if (m.has("trigger")) read_trigger(m.get("trigger"), base_dir, a.trigger);
  if (m.has("target")) read_target(m.get("target"), num_classes, a.target);
  if (a.trigger.type == "sig" && a.target.mode == "all_to_all") {
    MapReader(m.get("target"), {"mode", "label"}).get("mode").fail(
        "sig is a clean-label attack on one target class: it needs mode all_to_one");
  }
  read_into(m.get("poison_rate"), a.poison_rate);
  check_range(m.get("poison_rate"), a.poison_rate, 0.0, false, 1.0, true);
  if (m.has("pruning_aware")) read_pruning_aware(m.get("pruning_aware"), a.pruning_aware);
  if (m.has("overrides")) read_overrides(m.get("overrides"), file, a);
  read_received_model(m, base_dir, a);
  return name;
}

// Reads the attacks into file.attacks; the file's training, finetune and pruning are read before.
void read_attacks(const Field& f, const std::filesystem::path& base_dir, ExperimentSpec& file) {
  std::vector<AttackSpec>& attacks = file.attacks;
  if (!f.present()) f.fail("at least one attack is required");
  const std::vector<Field> items = read_list(f);
  if (items.empty()) f.fail("at least one attack is required");
  std::vector<Field> name_fields;
  std::vector<std::string> names;
  for (const Field& item : items) {
    AttackSpec attack;
    name_fields.push_back(read_attack(item, base_dir, file, attack));
    attacks.push_back(std::move(attack));
    names.push_back(attacks.back().name);
  }
  check_unique(name_fields, names, "attack name");
}

void read_defenses(const Field& f, std::vector<std::string>& defenses) {
  if (!f.present()) return;
  read_into(f, defenses);
  const std::vector<Field> items = read_list(f);
  if (items.empty()) f.fail("at least one defense is required (known: " +
                            join(known_defenses(), ", ") + ")");
  for (size_t i = 0; i < items.size(); ++i) check_one_of(items[i], defenses[i], known_defenses());
  check_unique(items, defenses, "defense");
}

// A defense's own section (`clp: {u: 2}`): every key one of its catalog settings, in range. Every
// listed defense with settings gets them all (defaults filled); a section for a defense the file
// does not list is an error (it would silently do nothing).
void read_defense_settings(const MapReader& root, ExperimentSpec& spec) {
  for (const DefenseInfo& info : defense_catalog()) {
    if (info.settings.empty()) continue;
    const bool listed = lists_defense(spec, info.name);
    const Field section = root.get(info.name);
    if (section.present() && !listed) {
      section.fail("settings for a defense the file does not run (add '" + info.name + "' to defenses)");
    }
    if (!listed) continue;
    std::map<std::string, double> values = default_settings(info);
    if (section.present()) {
      std::vector<std::string> names;
      for (const DefenseSetting& s : info.settings) names.push_back(s.name);
      const MapReader m(section, names);
      for (const DefenseSetting& s : info.settings) {
        const Field f = m.get(s.name);
        if (!f.present()) continue;
        double v = 0;
        if (s.integer) {
          v = static_cast<double>(read_int(f));
        } else {
          v = read_double(f);
        }
        check_range(f, v, s.min, true, s.max, true);
        values[s.name] = v;
      }
    }
    spec.defense_settings[info.name] = values;
  }
}


void read_parallel(const Field& f, ParallelSpec& p) {
  const MapReader m(f, {"backend", "bucket_mb"});
  read_name(m.get("backend"), p.backend, {"auto", "mpi", "nccl"});
  read_into(m.get("bucket_mb"), p.bucket_mb);
  check_range(m.get("bucket_mb"), p.bucket_mb, 0.0, false, 4096.0, true);
}

void read_seeds(const Field& f, std::vector<int64_t>& seeds) {
  if (!f.present()) return;
  // `seeds: 7` is shorthand for `seeds: [7]`.
  const std::vector<Field> items = f.node().IsScalar() ? std::vector<Field>{f} : read_list(f);
  if (items.empty()) f.fail("at least one seed is required");
  seeds.clear();
  for (const Field& item : items) {
    seeds.push_back(read_int(item));
    check_at_least(item, seeds.back(), int64_t{0});
  }
  check_unique(items, seeds, "seed");
}

}  // namespace

namespace {

// Counts a text's YAML documents, stopping at `limit`, without building them.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

size_t count_documents(const std::string& text, size_t limit) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter ignore;
  size_t documents = 0;
  while (documents < limit && parser.HandleNextDocument(ignore)) ++documents;
  return documents;
}

}  // namespace

ExperimentSpec parse_experiment_spec(const std::string& yaml_text, const std::string& path) {
  std::vector<YAML::Node> documents;
  try {
    // yaml-cpp 0.7's LoadAll never returns on some texts (a lone ",": an endless run of empty
    // documents, fuzzing finding F4): count first, and load only a text of one document.
    const size_t count = count_documents(yaml_text, 2);
    if (count > 1) {
      throw ConfigError(path, "<yaml>", "expected one YAML document, found more (a '---' or '...' line, or a stray ',')");
    }
    if (count == 1) documents.push_back(YAML::Load(yaml_text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file".
    throw ConfigError(path, "<yaml>", "line " + std::to_string(e.mark.line + 1) +
                                          ": lists and maps nested too deeply (more than " +
                                          std::to_string(e.depth()) + " levels; an experiment file needs 5)");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path, "<yaml>", "line " + std::to_string(e.mark.line + 1) + ", column " +
                                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (documents.size() > 1) {
    throw ConfigError(path, "<yaml>", "expected one YAML document, found " +
                                          std::to_string(documents.size()));
  }
  // An empty file is an empty map: every default, and the "at least one attack" error.
  const YAML::Node root = documents.empty() || documents[0].IsNull() ? YAML::Node(YAML::NodeType::Map)
                                                                     : documents[0];
  if (!root.IsMap()) {
    throw ConfigError(path, "<root>", "expected a map of settings, got " + describe_node(root));
  }

  const std::filesystem::path base_dir = std::filesystem::path(path).parent_path();
  ExperimentSpec spec;
  spec.source_file = path;
  spec.source_text = yaml_text;
  std::vector<std::string> sections = {"name",     "data",       "model", "models",  "training",
                                       "attacks",  "defenses",   "pruning", "finetune", "asr_counts",
                                       "seeds",    "threads",    "parallel"};
  for (const DefenseInfo& info : defense_catalog()) {
    if (!info.settings.empty()) sections.push_back(info.name);  // the defense's own settings
  }
  const MapReader m(Field(path, root, "", true), sections);
  read_into(m.get("name"), spec.name);
  if (spec.name.empty()) m.get("name").fail("must not be empty");
  if (m.has("data")) read_data(m.get("data"), base_dir, spec.data);
  if (m.has("model") && m.has("models")) {
    m.get("models").fail("a file sets either model (one model) or models (a list), not both");
  }
  if (m.has("model")) read_model(m.get("model"), spec.model);
  if (m.has("models")) {
    read_models(m.get("models"), spec.models);
    spec.model = spec.models.front();
  }
  if (m.has("training")) read_train(m.get("training"), spec.training);
  if (m.has("pruning")) read_pruning(m.get("pruning"), spec.pruning);
  if (m.has("finetune")) read_train(m.get("finetune"), spec.finetune);
  read_attacks(m.get("attacks"), base_dir, spec);  // after the sections its overrides merge over
  read_defenses(m.get("defenses"), spec.defenses);
  read_defense_settings(m, spec);
  read_name(m.get("asr_counts"), spec.asr_counts, {"non_target", "all"});
  read_seeds(m.get("seeds"), spec.seeds);
  read_into(m.get("threads"), spec.threads);
  check_at_least(m.get("threads"), spec.threads, int64_t{0});
  if (m.has("parallel")) read_parallel(m.get("parallel"), spec.parallel);

  return spec;
}

ExperimentSpec load_experiment_spec(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, "<file>", "cannot open: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "<file>", "cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path, "<file>", "cannot read");
  return parse_experiment_spec(text.str(), path);
}

}  // namespace fineprune
