// Layouts of public code bases, and checked loading of state_dicts into fineprune's networks.
#include "workers/models/state_dict_layout.h"

#include <map>
#include <regex>

#include "common/error.h"

namespace fineprune {

namespace {

constexpr const char* kMask = "prune_mask";

std::string shape_text(torch::IntArrayRef sizes) { return c10::str(sizes); }

// backdoorbench <- fineprune, for preact_resnet18 without its final BatchNorm.
std::string backdoorbench_name(const std::string& ours) {
  if (ours == kMask) return "";
  if (ours.rfind("stem.", 0) == 0) return "conv1." + ours.substr(5);
  if (ours.rfind("fc.", 0) == 0) return "linear." + ours.substr(3);
  static const std::regex block(R"(layer([1-4])_([0-9]+)\.(.*))");
  std::smatch m;
  if (std::regex_match(ours, m, block)) {
    std::string rest = m[3];
    if (rest.rfind("shortcut.", 0) == 0) rest = "shortcut.0." + rest.substr(9);  // an nn.Sequential of one conv
    return "layer" + m[1].str() + "." + m[2].str() + "." + rest;
  }
  throw Error("layout backdoorbench: no name for fineprune's tensor '" + ours + "'");
}

// Every tensor of the model, parameters then buffers, under fineprune's names.
std::vector<std::pair<std::string, torch::Tensor>> model_tensors(PrunableNet& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : model.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

// sequential <- fineprune, for vgg: conv i (0-based) is features.{3i + i/2} (each stage is Conv,
// BatchNorm, ReLU, and a MaxPool after every second conv; the last conv's pool comes after it, so
// it shifts no index), its BatchNorm the next index; fc1 and fc2 are classifier.0 and .2.
std::string sequential_name(const std::string& ours) {
  if (ours == kMask) return "";
  static const std::regex layer(R"((conv|bn)([0-9]+)\.(.*))");
  std::smatch m;
  if (std::regex_match(ours, m, layer)) {
    const int64_t i = std::stoll(m[2].str()) - 1;
    const int64_t index = 3 * i + i / 2 + (m[1].str() == "bn" ? 1 : 0);
    return "features." + std::to_string(index) + "." + m[3].str();
  }
  if (ours.rfind("fc1.", 0) == 0) return "classifier.0." + ours.substr(4);
  if (ours.rfind("fc2.", 0) == 0) return "classifier.2." + ours.substr(4);
  throw Error("layout sequential: no name for fineprune's tensor '" + ours + "'");
}

}  // namespace

ModelSpec model_for_layout(const std::string& layout, ModelSpec model) {
  if (layout == "fineprune") return model;
  if (layout == "backdoorbench") {
    if (model.name != "preact_resnet18") {
      throw InputError("--layout backdoorbench: names a preact_resnet18's tensors, the model is " + model.name +
                       " (use --arch preact_resnet18, or --layout fineprune)");
    }
    model.final_bn = false;
    return model;
  }
  if (layout == "sequential") {
    if (model.name != "vgg") {
      throw InputError("--layout sequential: names a vgg's tensors, the model is " + model.name +
                       " (use --arch vgg, or --layout fineprune)");
    }
    return model;
  }
  std::string known;
  for (const std::string& n : layout_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError("--layout: unknown layout '" + layout + "' (layouts: " + known + ")");
}

std::string layout_name(const std::string& layout, const std::string& ours) {
  if (layout == "fineprune") return ours == kMask ? "" : ours;
  if (layout == "backdoorbench") return backdoorbench_name(ours);
  if (layout == "sequential") return sequential_name(ours);
  throw Error("layout_name: unknown layout '" + layout + "'");
}

void load_state_dict_into(PrunableNet& model, const std::vector<NamedTensor>& tensors, const std::string& layout,
                          const std::string& file) {
  std::map<std::string, const NamedTensor*> theirs;
  for (const NamedTensor& t : tensors) theirs[t.name] = &t;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (model's, file's), all checked first
  std::map<std::string, bool> used;
  for (const auto& [ours, target] : model_tensors(model)) {
    const bool mask = ours == kMask;
    std::string name = layout_name(layout, ours);
    if (name.empty()) name = ours;  // the mask: only fineprune's own files carry it
    const auto it = theirs.find(name);
    if (it == theirs.end()) {
      // Absent mask: every channel live. Absent BatchNorm step count (files of PyTorch < 0.4.1):
      // it changes nothing a forward pass or fine-tuning at a fixed momentum computes.
      if (mask || ours.size() >= 19 && ours.compare(ours.size() - 19, 19, "num_batches_tracked") == 0) continue;
      throw InputError(file + ": missing tensor '" + name + "' (shape " + shape_text(target.sizes()) +
                       "): not a " + model.model_name() + " in layout " + layout + "?");
    }
    const torch::Tensor& value = it->second->value;
    if (value.sizes() != target.sizes()) {
      throw InputError(file + ": tensor '" + name + "' has shape " + shape_text(value.sizes()) + ", " +
                       model.model_name() + " in layout " + layout + " expects " + shape_text(target.sizes()));
    }
    const bool both_float = value.is_floating_point() && target.is_floating_point();
    const bool both_int = !value.is_floating_point() && !target.is_floating_point() &&
                          value.scalar_type() != c10::kBool && target.scalar_type() != c10::kBool;
    if (!both_float && !both_int) {
      throw InputError(file + ": tensor '" + name + "' is " + std::string(c10::toString(value.scalar_type())) +
                       ", expected " + c10::toString(target.scalar_type()));
    }
    if (both_float && !torch::isfinite(value).all().item<bool>()) {
      throw InputError(file + ": tensor '" + name + "' holds NaN or infinite values");
    }
    copies.emplace_back(target, value);
    used[name] = true;
  }
  for (const NamedTensor& t : tensors) {
    if (!used.count(t.name)) {
      throw InputError(file + ": unexpected tensor '" + t.name + "' (shape " + shape_text(t.value.sizes()) +
                       "): not a tensor of " + model.model_name() + " in layout " + layout);
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [target, value] : copies) target.copy_(value);
}

std::vector<NamedTensor> check_state_dict_file(const std::string& file, const std::string& layout,
                                               const ModelSpec& model, ImageShape shape, int64_t classes,
                                               const std::string& expected_sha256) {
  std::string found;
  std::vector<NamedTensor> tensors = read_state_dict(file, &found);  // InputError for a missing file too
  if (!expected_sha256.empty()) {
    if (found != expected_sha256) {
      throw InputError(file + ": its bytes hash to " + found + ", model_sha256 says " + expected_sha256 +
                       " (a changed or another file)");
    }
  }
  const ModelSpec built = model_for_layout(layout, model);
  if (built.final_bn != model.final_bn) {
    throw InputError(file + ": layout " + layout + " has no BatchNorm after the last stage; the model has "
                     "one (set model.final_bn: false)");
  }
  const std::shared_ptr<PrunableNet> net = make_model(built, shape, classes);
  load_state_dict_into(*net, tensors, layout, file);
  return tensors;
}

std::vector<NamedTensor> state_dict_of(PrunableNet& model, const std::string& layout, const torch::Tensor& example) {
  model.fold_mask_into_head(example);
  std::vector<NamedTensor> out;
  for (const auto& [ours, value] : model_tensors(model)) {
    const std::string name = layout_name(layout, ours);
    if (!name.empty()) out.push_back({name, value.detach().clone()});
  }
  return out;
}

}  // namespace fineprune
