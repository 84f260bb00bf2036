// ANP, adversarial neuron pruning (Wu and Wang, NeurIPS 2021; docs/DEFENSES.md). Each neuron k
// (a BatchNorm channel; without BatchNorm, a conv output channel) gets a mask m_k in [0, 1]. The
// perturbed network scales the neuron's weight by (m_k + delta_k) and its bias by (1 + xi_k);
// delta and xi start uniform in [-eps, eps] each step and take one signed-gradient ascent step
// of size eps on the perturbed loss. The mask then takes one SGD step (momentum 0.9) on
// alpha * CE(natural) + (1 - alpha) * CE(perturbed) and is clipped to [0, 1]; the network's
// weights never change. Neurons whose mask ends at or below `threshold` are pruned in a fresh
// copy of the model: their weight (gamma, or the conv kernel) set to 0, their bias kept, as the
// reference code does.
#include "workers/defenses/anp.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/yaml_reading.h"
#include "workers/defenses/defense_unit.h"

namespace fineprune {

namespace {

// One masked neuron group: a module's weight and bias members, swapped for expressions of the
// mask while the mask is learned, and the original tensors put back after.
struct Neurons {
  torch::Tensor* weight = nullptr;  // the module's member (Conv2d or BatchNorm2d)
  torch::Tensor* bias = nullptr;    // may hold an undefined tensor
  torch::Tensor weight_param, bias_param;  // the registered parameters, put back after
  torch::Tensor weight0, bias0;     // their values as trained
  std::vector<int64_t> view;        // broadcasts a per-neuron vector over the weight
};

std::vector<Neurons> masked_neurons(PrunableNet& model) {
  bool has_bn = false;
  for (const auto& item : model.named_modules("", false)) has_bn = has_bn || item.value()->as<torch::nn::BatchNorm2d>();
  std::vector<Neurons> out;
  for (const auto& item : model.named_modules("", false)) {
    Neurons n;
    if (has_bn) {
      auto* bn = item.value()->as<torch::nn::BatchNorm2d>();
      if (bn == nullptr || !bn->weight.defined()) continue;
      n.weight = &bn->weight;
      n.bias = &bn->bias;
      n.view = {-1};
    } else {
      auto* conv = item.value()->as<torch::nn::Conv2d>();
      if (conv == nullptr) continue;
      n.weight = &conv->weight;
      n.bias = &conv->bias;
      n.view = {-1, 1, 1, 1};
    }
    n.weight_param = *n.weight;
    n.bias_param = *n.bias;
    n.weight0 = n.weight->detach().clone();
    n.bias0 = n.bias->defined() ? n.bias->detach().clone() : torch::Tensor();
    out.push_back(n);
  }
  return out;
}

// Sets every group's weight to weight0 * (m + delta) and bias to bias0 * (1 + xi) (delta, xi
// undefined: the natural network, m only).
void apply(std::vector<Neurons>& groups, const std::vector<torch::Tensor>& masks,
           const std::vector<torch::Tensor>* delta, const std::vector<torch::Tensor>* xi) {
  for (size_t i = 0; i < groups.size(); ++i) {
    Neurons& g = groups[i];
    const torch::Tensor scale = delta != nullptr ? masks[i] + (*delta)[i] : masks[i];
    *g.weight = g.weight0 * scale.view(g.view);
    if (g.bias0.defined()) *g.bias = xi != nullptr ? g.bias0 * (1 + (*xi)[i]) : g.bias0;
  }
}

std::vector<torch::Tensor> uniform_noise(const std::vector<Neurons>& groups, double eps, at::Generator& gen) {
  std::vector<torch::Tensor> out;
  for (const Neurons& g : groups) {
    torch::Tensor t = torch::empty({g.weight0.size(0)}, g.weight0.options());
    t.uniform_(-eps, eps, gen);
    out.push_back(t.requires_grad_(true));
  }
  return out;
}

}  // namespace

std::vector<torch::Tensor> anp_masks(PrunableNet& model, const TensorSet& clean,
                                     const std::map<std::string, double>& settings, uint64_t seed) {
  namespace F = torch::nn::functional;
  const double eps = settings.at("eps"), alpha = settings.at("alpha");
  const auto iterations = static_cast<int64_t>(settings.at("iterations"));
  const auto batch_size = static_cast<int64_t>(settings.at("batch_size"));
  std::vector<Neurons> groups = masked_neurons(model);
  std::vector<torch::Tensor> masks;
  for (const Neurons& g : groups) masks.push_back(torch::ones({g.weight0.size(0)}, g.weight0.options()).requires_grad_(true));
  for (const torch::Tensor& p : model.parameters()) p.set_requires_grad(false);
  torch::optim::SGD optimizer(masks, torch::optim::SGDOptions(settings.at("lr")).momentum(0.9));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  model.train();
  for (int64_t it = 0; it < iterations && clean.size() > 0; ++it) {
    const torch::Tensor idx = torch::randint(clean.size(), {batch_size}, gen, torch::kInt64);
    const torch::Tensor x = clean.x.index_select(0, idx), y = clean.y.index_select(0, idx);
    std::vector<torch::Tensor> delta, xi;
    if (eps > 0) {
      // The inner maximisation: one signed step of size eps from a random start.
      delta = uniform_noise(groups, eps, gen);
      xi = uniform_noise(groups, eps, gen);
      std::vector<torch::Tensor> detached;
      for (const torch::Tensor& m : masks) detached.push_back(m.detach());
      apply(groups, detached, &delta, &xi);
      const torch::Tensor adv_loss = F::cross_entropy(model.forward(x), y);
      std::vector<torch::Tensor> noise = delta;
      noise.insert(noise.end(), xi.begin(), xi.end());
      const std::vector<torch::Tensor> grads = torch::autograd::grad({adv_loss}, noise);
      for (size_t i = 0; i < delta.size(); ++i) {
        delta[i] = (delta[i] + eps * grads[i].sign()).detach();
        xi[i] = (xi[i] + eps * grads[delta.size() + i].sign()).detach();
      }
    }
    // The outer minimisation over the mask.
    optimizer.zero_grad();
    apply(groups, masks, nullptr, nullptr);
    torch::Tensor loss = alpha * F::cross_entropy(model.forward(x), y);
    if (eps > 0) {
      apply(groups, masks, &delta, &xi);
      loss = loss + (1 - alpha) * F::cross_entropy(model.forward(x), y);
    } else if (alpha < 1) {
      loss = loss + (1 - alpha) * F::cross_entropy(model.forward(x), y);  // no perturbation: the same
    }
    loss.backward();
    optimizer.step();
    torch::NoGradGuard no_grad;
    for (torch::Tensor& m : masks) m.clamp_(0, 1);
  }
  for (Neurons& g : groups) {  // the model's own parameters back in place
    *g.weight = g.weight_param;
    *g.bias = g.bias_param;
  }
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& m : masks) out.push_back(m.detach().clone());
  return out;
}

namespace {

DefenseOutput anp(const DefenseInput& in) {
  const std::vector<torch::Tensor> masks =
      anp_masks(*in.recipe.copy_of(in.model), in.clean, in.settings, in.seed + 3);
  DefenseOutput out;
  out.model = in.recipe.copy_of(in.model);
  const double threshold = in.settings.at("threshold");
  std::vector<Neurons> groups = masked_neurons(*out.model);
  std::string per_group;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < groups.size(); ++i) {
    int64_t pruned = 0;
    for (int64_t k = 0; k < masks[i].size(0); ++k) {
      if (masks[i][k].item<double>() > threshold) continue;
      (*groups[i].weight)[k].zero_();
      ++pruned;
    }
    out.setting.channels += pruned;
    out.total_channels += masks[i].size(0);
    per_group += " " + std::to_string(pruned) + "/" + std::to_string(masks[i].size(0));
  }
  if (in.log) in.log("anp: neurons pruned per layer (mask <= " + format_number(threshold) + "):" + per_group);
  return out;
}

}  // namespace

FINEPRUNE_DEFENSE_UNIT(anp, anp);

}  // namespace fineprune
