// The defense steps.
#include "workers/experiment/defense_steps.h"

#include <chrono>
#include <cstdio>

#include "common/error.h"
#include "workers/experiment/result_rows.h"
#include "workers/training/trainer.h"

namespace fineprune {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string metrics_text(const char* what, double channels, const Metrics& m) {
  char buf[160];
  std::snprintf(buf, sizeof buf, ": %s (%.0f channels pruned): clean %.4f  ASR %.4f", what, channels,
                m.clean_acc, m.asr);
  return buf;
}

RowContext row_context(const StepContext& ctx) {
  return RowContext{ctx.spec, ctx.attack, ctx.backdoored, ctx.seed};
}

}  // namespace

PruningPlan plan_pruning(const ExperimentSpec& spec, BackdooredModel& bd, const ParallelContext& parallel) {
  const auto start = std::chrono::steady_clock::now();
  PruningPlan plan;
  plan.order = pruning_order(*bd.model, bd.eval.validation.x, parallel);
  plan.curve = pruning_curve(*bd.model, bd.eval, plan.order, parallel);
  plan.max_val_drops = spec.pruning.max_val_drops;
  for (double drop : plan.max_val_drops) plan.stops.push_back(stopping_point(plan.curve, drop));
  plan.stop = plan.stops.at(0);
  plan.wall_s = seconds_since(start);
  return plan;
}

PruneSetting stop_setting(const PruningPlan& plan, double max_val_drop) {
  for (size_t i = 0; i < plan.max_val_drops.size(); ++i) {
    if (plan.max_val_drops[i] != max_val_drop) continue;
    const CurvePoint& p = plan.curve[plan.stops[i]];
    return {"stop", p.fraction, p.pruned, max_val_drop};
  }
  throw Error("no stopping threshold " + std::to_string(max_val_drop) + " in this sweep's pruning.max_val_drop");
}

std::vector<PruneSetting> stop_settings(const PruningPlan& plan) {
  std::vector<PruneSetting> out;
  for (double drop : plan.max_val_drops) out.push_back(stop_setting(plan, drop));
  return out;
}

PruneSetting rate_setting(const PruningPlan& plan, const BackdooredModel& bd, double rate) {
  const int64_t k = std::min<int64_t>(channels_for_rate(bd.model->prunable_channels(), rate),
                                      static_cast<int64_t>(plan.order.size()));
  return {"rate", rate, k};
}

std::vector<ResultRow> baseline_and_pruning_rows(const StepContext& ctx, const PruningPlan& plan,
                                                 bool with_none, bool with_prune,
                                                 std::vector<CurveRow>& curve_rows) {
  const RowContext rc = row_context(ctx);
  std::vector<ResultRow> rows;
  const Metrics& base = plan.curve.front().metrics;
  if (with_none) rows.push_back(make_row(rc, "none", PruneSetting{}, base, 0, 0));
  ctx.log(ctx.attack.name + metrics_text("baseline", 0, base));
  append_curve_rows(rc, plan.curve, plan.stop, curve_rows);
  std::vector<PruneSetting> settings = stop_settings(plan);
  for (double r : ctx.spec.pruning.rates) settings.push_back(rate_setting(plan, ctx.backdoored, r));
  if (with_prune) {
    for (const PruneSetting& s : settings) {
      rows.push_back(make_row(rc, "prune", s, plan.curve[static_cast<size_t>(s.channels)].metrics, 0, plan.wall_s));
    }
  }
  const PruneSetting stop = settings.front();
  ctx.log(ctx.attack.name + metrics_text("pruning to the stopping point", static_cast<double>(stop.channels),
                                         plan.curve[plan.stop].metrics));
  return rows;
}

namespace {

// Prunes a copy of the model by the first `channels` of `order`, fine-tunes it, scores it.
std::pair<Metrics, double> fine_tuned_copy(const StepContext& ctx, const std::vector<int64_t>& order,
                                           int64_t channels) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<PrunableNet> copy = ctx.backdoored.recipe.copy_of(*ctx.backdoored.model);
  copy->prune_channels(std::vector<int64_t>(order.begin(), order.begin() + channels));
  train_model(*copy, ctx.backdoored.eval.validation, ctx.spec.finetune, ctx.seed + 2, ctx.context,
              channels == 0 ? "finetune" : "fineprune");
  return {evaluate(*copy, ctx.backdoored.eval, ctx.context.parallel), seconds_since(start)};
}

}  // namespace

ResultRow finetune_row(const StepContext& ctx) {
  const auto [m, s] = fine_tuned_copy(ctx, {}, 0);
  ctx.log(ctx.attack.name + metrics_text("fine-tuning", 0, m));
  return make_row(row_context(ctx), "finetune", PruneSetting{}, m,
                  static_cast<double>(ctx.spec.finetune.epochs), s);
}

ResultRow fineprune_row(const StepContext& ctx, const PruningPlan& plan, const PruneSetting& setting) {
  const auto [m, s] = fine_tuned_copy(ctx, plan.order, setting.channels);
  ctx.log(ctx.attack.name + metrics_text("fine-pruning", static_cast<double>(setting.channels), m));
  return make_row(row_context(ctx), "fineprune", setting, m, static_cast<double>(ctx.spec.finetune.epochs),
                  s + plan.wall_s);
}

}  // namespace fineprune
