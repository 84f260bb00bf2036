// Pruning order, pruning curves (incremental and naive), stopping point.
#include "workers/defenses/pruning.h"

#include <cmath>

#include "workers/training/trainer.h"

namespace fineprune {

namespace {

constexpr int64_t kBatch = 1000;

// The trunk over a whole set, in batches, without gradients.
TrunkOutput trunk_of(PrunableNet& model, const torch::Tensor& x) {
  std::vector<torch::Tensor> acts, sides;
  for (int64_t begin = 0; begin < x.size(0); begin += kBatch) {
    TrunkOutput t = model.trunk(x.slice(0, begin, begin + kBatch));
    acts.push_back(t.act);
    if (t.side.defined()) sides.push_back(t.side);
  }
  TrunkOutput out;
  out.act = torch::cat(acts);
  if (!sides.empty()) out.side = torch::cat(sides);
  return out;
}

// One evaluation set during the incremental curve: its activations and the head's affine output.
struct CurveState {
  torch::Tensor act;
  torch::Tensor z;
};

// An empty set (the pruning-aware attacker scores only its own clean data) has no state: the
// network is never run on zero images (channels-last convolutions reject an empty batch).
CurveState start_state(PrunableNet& model, const torch::Tensor& x) {
  if (x.size(0) == 0) return {};
  TrunkOutput t = trunk_of(model, x);
  torch::Tensor z = model.head_affine(t);
  return {t.act, z};
}

torch::Tensor predictions(PrunableNet& model, const CurveState& s) {
  if (!s.z.defined()) return torch::empty({0}, torch::kInt64);
  return model.head_rest(s.z).argmax(1);
}

}  // namespace

torch::Tensor mean_channel_activation(PrunableNet& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor sum = torch::zeros({model.prunable_channels()}, torch::kFloat64);
  for (int64_t begin = 0; begin < x.size(0); begin += kBatch) {
    const torch::Tensor act = model.trunk(x.slice(0, begin, begin + kBatch)).act;
    sum += act.to(torch::kFloat64).mean({2, 3}).sum(0);
  }
  return sum / static_cast<double>(std::max<int64_t>(x.size(0), 1));
}

std::vector<int64_t> pruning_order(PrunableNet& model, const torch::Tensor& x) {
  const torch::Tensor mean = mean_channel_activation(model, x);
  const torch::Tensor sorted = std::get<1>(mean.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  const torch::Tensor mask = model.channel_mask();
  std::vector<int64_t> order;
  for (int64_t i = 0; i < sorted.size(0); ++i) {
    const int64_t c = sorted[i].item<int64_t>();
    if (mask[c].item<float>() != 0.0f) order.push_back(c);
  }
  return order;
}

std::vector<CurvePoint> pruning_curve(PrunableNet& model, const EvalData& data,
                                      const std::vector<int64_t>& order) {
  torch::NoGradGuard no_grad;
  model.eval();
  CurveState val = start_state(model, data.validation.x);
  CurveState test = start_state(model, data.test.x);
  CurveState trig = start_state(model, data.triggered.x);
  const double channels = static_cast<double>(model.prunable_channels());
  std::vector<CurvePoint> curve;
  curve.reserve(order.size() + 1);
  for (size_t k = 0; k <= order.size(); ++k) {
    if (k > 0) {
      const int64_t c = order[k - 1];
      for (CurveState* s : {&val, &test, &trig}) {
        if (s->z.defined()) s->z -= model.channel_term(s->act, c);
      }
    }
    CurvePoint p;
    p.pruned = static_cast<int64_t>(k);
    p.fraction = static_cast<double>(k) / channels;
    p.metrics = metrics_from_predictions(data, predictions(model, val), predictions(model, test),
                                         predictions(model, trig));
    curve.push_back(p);
  }
  return curve;
}

std::vector<CurvePoint> pruning_curve_naive(PrunableNet& model, const EvalData& data,
                                            const std::vector<int64_t>& order) {
  const double channels = static_cast<double>(model.prunable_channels());
  std::vector<CurvePoint> curve;
  for (size_t k = 0; k <= order.size(); ++k) {
    if (k > 0) model.prune_channels({order[k - 1]});
    CurvePoint p;
    p.pruned = static_cast<int64_t>(k);
    p.fraction = static_cast<double>(k) / channels;
    p.metrics = evaluate(model, data);
    curve.push_back(p);
  }
  return curve;
}

size_t stopping_point(const std::vector<CurvePoint>& curve, double max_val_drop) {
  if (curve.empty()) return 0;
  const double base = curve.front().metrics.val_acc;
  for (size_t k = 1; k < curve.size(); ++k) {
    // A small tolerance so that a drop of exactly the threshold (as a count of images) is allowed.
    if (base - curve[k].metrics.val_acc > max_val_drop + 1e-12) return k - 1;
  }
  return curve.size() - 1;
}

int64_t channels_for_rate(int64_t channels, double rate) {
  return std::llround(rate * static_cast<double>(channels));
}

}  // namespace fineprune
