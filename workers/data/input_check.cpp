// check_inputs: the data, then the model and the triggers tried on it (input_check.h).
#include "workers/data/input_check.h"

#include <torch/torch.h>

#include <string>

#include "common/error.h"
#include "workers/attacks/trigger.h"
#include "workers/models/model_factory.h"
#include "workers/models/state_dict_layout.h"

namespace fineprune {
namespace {

// LibTorch's message without its backtrace, first line only.
std::string torch_message(const c10::Error& e) {
  std::string text = e.what_without_backtrace();
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  return text;
}

// A worker's InputError "key: problem" (key relative to `prefix`, e.g. "trigger.size" inside
// attacks[0]) as a ConfigError naming the spec file and the full key path. A message without a
// key of `expected_start` is put under `fallback_key`.
[[noreturn]] void rethrow_with_path(const ExperimentSpec& spec, const std::string& what,
                                    const std::string& prefix, const std::string& expected_start,
                                    const std::string& fallback_key, const std::string& note) {
  const size_t colon = what.find(": ");
  if (colon != std::string::npos && what.rfind(expected_start, 0) == 0 &&
      what.find(' ') > colon) {
    throw ConfigError(spec.source_file, prefix + what.substr(0, colon), what.substr(colon + 2) + note);
  }
  throw ConfigError(spec.source_file, fallback_key, what + note);
}

// The models' messages name keys of the single `model:` section ("model.widths: ...", "model:
// deepid needs ..."); for a `models:` entry they are put under its path, its "name" being "arch".
std::string model_key(const std::string& key, size_t index, bool listed) {
  const std::string base = key == "model" ? "model.name" : key;
  if (!listed) return base;
  std::string rest = base.substr(std::string("model.").size());
  if (rest == "name") rest = "arch";
  return "models[" + std::to_string(index) + "]." + rest;
}

void check_model(const ExperimentSpec& spec, const ModelSpec& model_spec, size_t index, bool listed,
                 const DataFacts& facts) {
  const ImageShape shape{facts.channels, facts.height, facts.width};
  const std::string at = listed ? "models[" + std::to_string(index) + "]" : "model";
  const std::string images = std::to_string(facts.channels) + "x" + std::to_string(facts.height) +
                             "x" + std::to_string(facts.width);
  const std::string note = " (the data's images are " + images + ")";
  try {
    torch::NoGradGuard no_grad;
    const std::shared_ptr<PrunableNet> model = make_model(model_spec, shape, facts.num_classes);
    model->eval();
    const torch::Tensor out = model->forward(torch::zeros({2, shape.channels, shape.height, shape.width}));
    if (out.dim() != 2 || out.size(0) != 2 || out.size(1) != facts.num_classes) {
      throw ConfigError(spec.source_file, at,
                        model_spec.name + " gives outputs of shape " + c10::str(out.sizes()) +
                            " for " + std::to_string(facts.num_classes) + " classes" + note);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const InputError& e) {
    const std::string what = e.what();
    const size_t colon = what.find(": ");
    if (colon != std::string::npos && what.rfind("model", 0) == 0 && what.find(' ') > colon) {
      throw ConfigError(spec.source_file, model_key(what.substr(0, colon), index, listed),
                        what.substr(colon + 2) + note);
    }
    throw ConfigError(spec.source_file, at, what + note);
  } catch (const c10::Error& e) {
    throw ConfigError(spec.source_file, at,
                      model_spec.name + " cannot run on " + images + " images: " + torch_message(e));
  }
}

void check_triggers(const ExperimentSpec& spec, const DataFacts& facts) {
  const ImageShape shape{facts.channels, facts.height, facts.width};
  for (size_t i = 0; i < spec.attacks.size(); ++i) {
    const std::string at = "attacks[" + std::to_string(i) + "].";
    try {
      torch::NoGradGuard no_grad;
      const std::unique_ptr<Trigger> trigger = make_trigger(spec.attacks[i].trigger, shape);
      const torch::Tensor x = trigger->apply(torch::zeros({1, shape.channels, shape.height, shape.width}));
      if (x.sizes() != torch::IntArrayRef{1, shape.channels, shape.height, shape.width}) {
        throw ConfigError(spec.source_file, at + "trigger",
                          "gives images of shape " + c10::str(x.sizes()));
      }
    } catch (const ConfigError&) {
      throw;
    } catch (const DataError& e) {  // the picture file: it names itself
      throw ConfigError(spec.source_file, at + "trigger.image", e.what());
    } catch (const InputError& e) {
      rethrow_with_path(spec, e.what(), at, "trigger", at + "trigger", "");
    } catch (const c10::Error& e) {
      throw ConfigError(spec.source_file, at + "trigger",
                        "cannot be applied to " + std::to_string(facts.height) + "x" +
                            std::to_string(facts.width) + " images: " + torch_message(e));
    }
  }
}

// Each attack's received model, against every model of the sweep: its bytes, names and shapes.
void check_received_models(const ExperimentSpec& spec, const DataFacts& facts) {
  const ImageShape shape{facts.channels, facts.height, facts.width};
  for (size_t i = 0; i < spec.attacks.size(); ++i) {
    const AttackSpec& a = spec.attacks[i];
    if (a.model_file.empty()) continue;
    for (const ModelSpec& model : sweep_models(spec)) {
      try {
        check_state_dict_file(a.model_file, a.model_layout, model, shape, facts.num_classes, a.model_sha256);
      } catch (const InputError& e) {
        throw ConfigError(spec.source_file, "attacks[" + std::to_string(i) + "].model_file", e.what());
      }
    }
  }
}

}  // namespace

DataFacts check_inputs(const ExperimentSpec& spec) {
  const DataFacts facts = check_data(spec);
  // Every model of the sweep, on the data's image size.
  const std::vector<ModelSpec> models = sweep_models(spec);
  for (size_t i = 0; i < models.size(); ++i) check_model(spec, models[i], i, !spec.models.empty(), facts);
  check_triggers(spec, facts);
  check_received_models(spec, facts);
  return facts;
}

}  // namespace fineprune
