// NAD, neural attention distillation (Li et al., ICLR 2021; docs/DEFENSES.md). A teacher, a copy
// of the backdoored model fine-tuned on the clean data for `teacher_epochs` (cross-entropy only),
// then the backdoored model as student trained for `epochs` on the same data with
// cross-entropy + sum_i beta_i * mean((A_S^i - A_T^i)^2), A the attention maps (attention_map)
// of the feature maps the model lists (PrunableNet::forward_with_features), low to high. With
// three maps the betas are beta_low, beta_mid, beta_high; with fewer, the last ones (one map:
// beta_high). The mean is over the batch and the map's positions, as the reference code takes it.
// Both phases use the `finetune:` optimiser settings (batch, lr, momentum, weight decay); the
// last epoch's student is kept (choosing one by test ASR, as the reference code's save rule
// does, is not open to a defender).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "workers/defenses/defense_unit.h"
#include "workers/training/trainer.h"

namespace fineprune {

namespace {

// The attention map of feature maps f [N, C, H, W]: a = sum over channels of |f_c|^p, flattened
// to [N, H*W] and divided by its L2 norm (+ 1e-6) per image.
torch::Tensor attention_map(const torch::Tensor& f, double p) {
  const torch::Tensor a = f.abs().pow(p).sum(1).flatten(1);
  return a / (a.norm(2, 1, true) + 1e-6);
}

std::vector<double> betas_for(const std::map<std::string, double>& s, size_t maps) {
  const std::vector<double> all = {s.at("beta_low"), s.at("beta_mid"), s.at("beta_high")};
  if (maps >= all.size()) {
    std::vector<double> out(maps - all.size(), all.front());  // more maps: the low beta for the extra ones
    out.insert(out.end(), all.begin(), all.end());
    return out;
  }
  return std::vector<double>(all.end() - static_cast<std::ptrdiff_t>(maps), all.end());
}

DefenseOutput nad(const DefenseInput& in) {
  namespace F = torch::nn::functional;
  const double p = in.settings.at("p");
  std::shared_ptr<PrunableNet> teacher = in.recipe.copy_of(in.model);
  TrainSpec teacher_spec = in.spec.finetune;
  teacher_spec.epochs = static_cast<int64_t>(in.settings.at("teacher_epochs"));
  train_model(*teacher, in.clean, teacher_spec, in.seed + 4, in.context, "nad_teacher");
  teacher->to(in.context.parallel.device);
  teacher->eval();

  DefenseOutput out;
  out.model = in.recipe.copy_of(in.model);
  const BatchLoss distilled = [&](PrunableNet& student, const torch::Tensor& x, const torch::Tensor& y,
                                  int64_t batch_size) {
    std::vector<torch::Tensor> teacher_features, student_features;
    {
      torch::NoGradGuard no_grad;
      teacher->forward_with_features(x, teacher_features);
    }
    const torch::Tensor logits = student.forward_with_features(x, student_features);
    const std::vector<double> betas = betas_for(in.settings, student_features.size());
    const double b = static_cast<double>(batch_size);
    torch::Tensor loss = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)) / b;
    for (size_t i = 0; i < student_features.size(); ++i) {
      const torch::Tensor diff = attention_map(student_features[i], p) - attention_map(teacher_features[i], p);
      loss = loss + betas[i] * diff.pow(2).sum() / (b * static_cast<double>(diff.size(1)));
    }
    return loss;
  };
  TrainSpec student_spec = in.spec.finetune;
  student_spec.epochs = static_cast<int64_t>(in.settings.at("epochs"));
  train_model(*out.model, in.clean, student_spec, in.seed + 5, in.context, "nad_student", distilled);
  out.finetune_epochs = static_cast<double>(student_spec.epochs);
  return out;
}

}  // namespace

FINEPRUNE_DEFENSE_UNIT(nad, nad);

}  // namespace fineprune
