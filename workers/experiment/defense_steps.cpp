// The defense steps.
#include "workers/experiment/defense_steps.h"

#include <chrono>
#include <cstdio>

#include "common/error.h"
#include "workers/defenses/defense_unit.h"
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
  return plan_pruning(spec.pruning.max_val_drops, *bd.model, bd.eval, parallel);
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
  for (double r : ctx.spec.pruning.rates) settings.push_back(rate_setting(plan, *ctx.backdoored.model, r));
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

ResultRow defense_row(const StepContext& ctx, const Task& task, const std::function<const PruningPlan&()>& plan) {
  const std::string& defense = task.defense;
  const auto start = std::chrono::steady_clock::now();
  // The plan is shared by the model's tasks: its time counts once, as shared_wall_s, whichever
  // task happens to compute it.
  double plan_s = 0;
  const std::function<const PruningPlan&()> timed_plan = [&]() -> const PruningPlan& {
    const auto plan_start = std::chrono::steady_clock::now();
    const PruningPlan& p = plan();
    plan_s += seconds_since(plan_start);
    return p;
  };
  const std::map<std::string, double> settings = settings_of(ctx.spec, defense);
  const LogFn log = [&](const std::string& line) { ctx.log(ctx.attack.name + ": " + line); };
  const DefenseInput in{ctx.spec, settings, *ctx.backdoored.model, ctx.backdoored.recipe,
                        ctx.backdoored.eval.validation, task.prune_mode, task.prune_rate, task.stop_drop, timed_plan, ctx.seed,
                        ctx.context, log};
  const DefenseOutput out = defense_step(defense)(in);
  const Metrics m = evaluate(*out.model, ctx.backdoored.eval, ctx.context.parallel);
  ctx.log(ctx.attack.name + metrics_text(defense.c_str(), static_cast<double>(out.setting.channels), m));
  return make_row(row_context(ctx), defense, out.setting, m, out.finetune_epochs,
                  seconds_since(start) - plan_s + out.shared_wall_s, out.total_channels);
}

}  // namespace fineprune
