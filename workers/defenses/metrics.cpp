// Metric computation.
#include "workers/defenses/metrics.h"

#include "workers/training/trainer.h"

namespace fineprune {

namespace {
double mean_of(const torch::Tensor& hits) {
  return hits.numel() == 0 ? 0.0 : hits.to(torch::kFloat64).mean().item<double>();
}
}  // namespace

Metrics metrics_from_predictions(const EvalData& data, const torch::Tensor& val_pred,
                                 const torch::Tensor& test_pred, const torch::Tensor& trig_pred) {
  Metrics m;
  m.val_acc = mean_of(val_pred.eq(data.validation.y));
  m.clean_acc = mean_of(test_pred.eq(data.test.y));
  const torch::Tensor& nt = data.triggered.non_target;
  const torch::Tensor hit = trig_pred.eq(data.triggered.attack_labels);
  m.asr = mean_of(data.asr_counts_all ? hit : hit.masked_select(nt));
  m.robust_acc = mean_of(trig_pred.eq(data.triggered.true_labels).masked_select(nt));
  return m;
}

Metrics evaluate(PrunableNet& model, const EvalData& data, const ParallelContext& parallel) {
  return metrics_from_predictions(data, predict(model, data.validation.x, 1000, parallel),
                                  predict(model, data.test.x, 1000, parallel),
                                  predict(model, data.triggered.x, 1000, parallel));
}

}  // namespace fineprune
