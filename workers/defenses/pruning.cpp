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

// One evaluation set during the incremental curve: this rank's shard [begin, begin + n) of a set
// of `total` images, its activations, the head's affine output, and the predictions of every
// step (rows: steps; columns: the shard's images).
struct CurveState {
  int64_t begin = 0, total = 0;
  torch::Tensor act;
  torch::Tensor z;
  std::vector<torch::Tensor> steps;
};

// An empty shard (the pruning-aware attacker scores only its own clean data; a small set split
// over many ranks) has no activations: the network is never run on zero images (channels-last
// convolutions reject an empty batch).
CurveState start_state(PrunableNet& model, const torch::Tensor& x, const ParallelContext& parallel) {
  CurveState s;
  s.total = x.size(0);
  const auto [lo, hi] = shard_range(x.size(0), parallel.rank(), parallel.size());
  s.begin = lo;
  if (hi == lo) return s;
  TrunkOutput t = trunk_of(model, x.slice(0, lo, hi));
  s.z = model.head_affine(t);
  s.act = t.act;
  return s;
}

void record_step(PrunableNet& model, CurveState& s) {
  s.steps.push_back(s.z.defined() ? model.head_rest(s.z).argmax(1) : torch::empty({0}, torch::kInt64));
}

// The predictions of every step on the whole set: [steps, total], gathered over the group.
torch::Tensor all_steps(const CurveState& s, const ParallelContext& parallel) {
  const torch::Tensor local = torch::stack(s.steps).t().contiguous();  // [shard, steps]
  return gather_by_sum(parallel, local, s.begin, s.total).t();
}

}  // namespace

torch::Tensor mean_channel_activation(PrunableNet& model, const torch::Tensor& x,
                                      const ParallelContext& parallel) {
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor sum = torch::zeros({model.prunable_channels()}, torch::kFloat64);
  const auto [lo, hi] = shard_range(x.size(0), parallel.rank(), parallel.size());
  for (int64_t begin = lo; begin < hi; begin += kBatch) {
    const torch::Tensor act = model.trunk(x.slice(0, begin, std::min(hi, begin + kBatch))).act;
    sum += act.to(torch::kFloat64).mean({2, 3}).sum(0);
  }
  sum_over_group(parallel, sum);
  return sum / static_cast<double>(std::max<int64_t>(x.size(0), 1));
}

std::vector<int64_t> pruning_order(PrunableNet& model, const torch::Tensor& x,
                                   const ParallelContext& parallel) {
  const torch::Tensor mean = mean_channel_activation(model, x, parallel);
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
                                      const std::vector<int64_t>& order, const ParallelContext& parallel) {
  torch::NoGradGuard no_grad;
  model.eval();
  CurveState val = start_state(model, data.validation.x, parallel);
  CurveState test = start_state(model, data.test.x, parallel);
  CurveState trig = start_state(model, data.triggered.x, parallel);
  for (size_t k = 0; k <= order.size(); ++k) {
    for (CurveState* s : {&val, &test, &trig}) {
      if (k > 0 && s->z.defined()) s->z -= model.channel_term(s->act, order[k - 1]);
      record_step(model, *s);
    }
  }
  const torch::Tensor val_pred = all_steps(val, parallel);
  const torch::Tensor test_pred = all_steps(test, parallel);
  const torch::Tensor trig_pred = all_steps(trig, parallel);
  const double channels = static_cast<double>(model.prunable_channels());
  std::vector<CurvePoint> curve;
  curve.reserve(order.size() + 1);
  for (size_t k = 0; k <= order.size(); ++k) {
    CurvePoint p;
    p.pruned = static_cast<int64_t>(k);
    p.fraction = static_cast<double>(k) / channels;
    const int64_t step = static_cast<int64_t>(k);
    p.metrics = metrics_from_predictions(data, val_pred[step], test_pred[step], trig_pred[step]);
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
