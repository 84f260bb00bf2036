// Canonical text of spec values (see canonical_text.h for the format).
#include "common/canonical_text.h"

#include <cstdio>

#include "common/hash.h"

namespace fineprune {

namespace {

std::string escaped(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string exact(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

}  // namespace

CanonicalText::CanonicalText() { line("schema", kCanonicalSchema); }

void CanonicalText::line(const std::string& name, const std::string& raw_value) {
  text_ += name;
  text_ += '=';
  text_ += raw_value;
  text_ += '\n';
}

void CanonicalText::add(const std::string& name, const std::string& value) {
  line(name, escaped(value));
}

void CanonicalText::add(const std::string& name, int64_t value) {
  line(name, std::to_string(value));
}

void CanonicalText::add(const std::string& name, double value) { line(name, exact(value)); }

void CanonicalText::add(const std::string& name, bool value) {
  line(name, value ? "true" : "false");
}

void CanonicalText::add(const std::string& name, const std::vector<std::string>& values) {
  line(name + ".size", std::to_string(values.size()));
  for (size_t i = 0; i < values.size(); ++i) add(name + "." + std::to_string(i), values[i]);
}

void CanonicalText::add(const std::string& name, const std::vector<int64_t>& values) {
  line(name + ".size", std::to_string(values.size()));
  for (size_t i = 0; i < values.size(); ++i) add(name + "." + std::to_string(i), values[i]);
}

void CanonicalText::add(const std::string& name, const std::vector<double>& values) {
  line(name + ".size", std::to_string(values.size()));
  for (size_t i = 0; i < values.size(); ++i) add(name + "." + std::to_string(i), values[i]);
}

std::string CanonicalText::sha256() const { return sha256_hex(text_); }

void add_data(CanonicalText& out, const std::string& prefix, const DataSpec& d) {
  const std::string p = prefix + ".";
  out.add(p + "format", d.format);
  out.add(p + "dir", d.dir);
  out.add(p + "train_images", d.train_images);
  out.add(p + "train_labels", d.train_labels);
  out.add(p + "test_images", d.test_images);
  out.add(p + "test_labels", d.test_labels);
  out.add(p + "train_batches", d.train_batches);
  out.add(p + "test_batch", d.test_batch);
  out.add(p + "train_file", d.train_file);
  out.add(p + "test_file", d.test_file);
  out.add(p + "images_key", d.images_key);
  out.add(p + "labels_key", d.labels_key);
  out.add(p + "layout", d.layout);
  out.add(p + "scale", d.scale);
  out.add(p + "num_classes", d.num_classes);
  out.add(p + "validation_size", d.validation_size);
  out.add(p + "train_subset", d.train_subset);
  out.add(p + "test_subset", d.test_subset);
}

void add_model(CanonicalText& out, const std::string& prefix, const ModelSpec& m) {
  const std::string p = prefix + ".";
  out.add(p + "name", m.name);
  out.add(p + "widths", m.widths);
  out.add(p + "hidden", m.hidden);
  out.add(p + "head", m.head);
  if (!m.final_bn) out.add(p + "final_bn", int64_t{0});  // only when set: older keys stay as they were
  if (!m.input_mean.empty()) {
    out.add(p + "input_mean", m.input_mean);
    out.add(p + "input_std", m.input_std);
  }
  // The label names the rows, so it is in the key; only where it differs from the architecture
  // name, so that the keys of a file with the single `model:` section read as they always did
  // (and a `models:` entry labelled by its architecture shares them: same settings, same rows).
  if (model_label(m) != m.name) out.add(p + "label", m.label);
}

void add_train(CanonicalText& out, const std::string& prefix, const TrainSpec& t) {
  const std::string p = prefix + ".";
  out.add(p + "epochs", t.epochs);
  out.add(p + "batch_size", t.batch_size);
  out.add(p + "lr", t.lr);
  out.add(p + "momentum", t.momentum);
  out.add(p + "weight_decay", t.weight_decay);
}

void add_attack(CanonicalText& out, const std::string& prefix, const AttackSpec& a) {
  const std::string p = prefix + ".";
  // The name is part of the result: it seeds the poisoned subset (attack_seed) and labels rows.
  out.add(p + "name", a.name);
  const TriggerSpec& t = a.trigger;
  out.add(p + "trigger.type", t.type);
  out.add(p + "trigger.size", t.size);
  out.add(p + "trigger.position", t.position);
  out.add(p + "trigger.margin", t.margin);
  out.add(p + "trigger.style", t.style);
  out.add(p + "trigger.value", t.value);
  out.add(p + "trigger.alpha", t.alpha);
  out.add(p + "trigger.pattern", t.pattern);
  out.add(p + "trigger.image", t.image);
  out.add(p + "trigger.pattern_seed", t.pattern_seed);
  out.add(p + "trigger.delta", t.delta);
  out.add(p + "trigger.frequency", t.frequency);
  out.add(p + "trigger.k", t.k);
  out.add(p + "trigger.strength", t.strength);
  out.add(p + "target.mode", a.target.mode);
  out.add(p + "target.label", a.target.label);
  out.add(p + "poison_rate", a.poison_rate);
  const PruningAwareSpec& pa = a.pruning_aware;
  out.add(p + "pruning_aware.enabled", pa.enabled);
  out.add(p + "pruning_aware.max_val_drop", pa.max_val_drop);
  out.add(p + "pruning_aware.bias_decrease", pa.bias_decrease);
  out.add(p + "pruning_aware.clean_epochs", pa.clean_epochs);
  // A received model is its bytes (the path may move); only where there is one, so that the
  // keys of attacks trained here read as they always did.
  if (!a.model_file.empty()) {
    out.add(p + "model_sha256", a.model_sha256);
    out.add(p + "model_layout", a.model_layout);
  }
}

void add_pruning(CanonicalText& out, const std::string& prefix, const PruningSpec& p) {
  // One threshold reads as it did when there could be only one.
  if (p.max_val_drops.size() == 1) {
    out.add(prefix + ".max_val_drop", p.max_val_drops.front());
  } else {
    out.add(prefix + ".max_val_drops", p.max_val_drops);
  }
  out.add(prefix + ".rates", p.rates);
}

}  // namespace fineprune
