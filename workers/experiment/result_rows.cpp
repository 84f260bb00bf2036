// Row construction for the result tables.
#include "workers/experiment/result_rows.h"

#include <filesystem>

namespace fineprune {

std::string dataset_label(const DataSpec& data) {
  const std::string source = data.format == "hdf5" ? data.train_file : data.dir;
  std::filesystem::path p(source);
  if (!p.has_filename()) p = p.parent_path();
  const std::string name = p.stem().string();
  return name.empty() ? data.format : name;
}

ResultRow make_row(const RowContext& ctx, const std::string& defense, const PruneSetting& setting,
                   const Metrics& m, double finetune_epochs, double wall_s, int64_t total_channels) {
  ResultRow r;
  r.attack = ctx.attack.name;
  r.trigger = ctx.attack.trigger.type;
  r.target_mode = ctx.attack.target.mode;
  r.target_label = ctx.attack.target.mode == "all_to_all" ? -1 : ctx.attack.target.label;
  r.poison_rate = ctx.attack.poison_rate;
  r.pruning_aware = ctx.attack.pruning_aware.enabled ? 1 : 0;
  r.defense = defense;
  r.prune_mode = setting.mode;
  r.prune_rate = setting.rate;
  r.stop_drop = setting.stop_drop;
  r.pruned_channels = setting.channels;
  r.total_channels = total_channels > 0 ? total_channels : ctx.backdoored.model->prunable_channels();
  r.seed = static_cast<int64_t>(ctx.seed);
  r.clean_acc = m.clean_acc;
  r.asr = m.asr;
  r.robust_acc = m.robust_acc;
  r.val_acc = m.val_acc;
  r.asr_counts = ctx.spec.asr_counts;
  r.finetune_epochs = finetune_epochs;
  r.wall_s = wall_s;
  r.train_wall_s = ctx.backdoored.train_wall_s;
  r.model = model_label(ctx.spec.model);
  r.dataset = dataset_label(ctx.spec.data);
  return r;
}

void append_curve_rows(const RowContext& ctx, const std::vector<CurvePoint>& curve, size_t stop,
                       std::vector<CurveRow>& out) {
  for (size_t k = 0; k < curve.size(); ++k) {
    CurveRow row;
    row.attack = ctx.attack.name;
    row.model = model_label(ctx.spec.model);
    row.seed = static_cast<int64_t>(ctx.seed);
    row.channels_pruned = curve[k].pruned;
    row.fraction = curve[k].fraction;
    row.val_acc = curve[k].metrics.val_acc;
    row.clean_acc = curve[k].metrics.clean_acc;
    row.asr = curve[k].metrics.asr;
    row.robust_acc = curve[k].metrics.robust_acc;
    row.is_stop = k == stop ? 1 : 0;
    out.push_back(row);
  }
}

}  // namespace fineprune
