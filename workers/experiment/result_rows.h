// Turns an experiment's measurements into the rows of the `results` and `curves` tables.
#pragma once

#include <string>
#include <vector>

#include "workers/defenses/pruning.h"
#include "workers/experiment/experiment_runner.h"

namespace fineprune {

struct RowContext {
  const ExperimentSpec& spec;
  const AttackSpec& attack;
  const BackdooredModel& backdoored;
  uint64_t seed;
};

ResultRow make_row(const RowContext& ctx, const std::string& defense, const std::string& prune_mode,
                   double prune_rate, int64_t pruned, const Metrics& m, double finetune_epochs,
                   double wall_s);

void append_curve_rows(const RowContext& ctx, const std::vector<CurvePoint>& curve, size_t stop,
                       std::vector<CurveRow>& out);

// A short name for the data set, for the tables: the data folder's or file's base name.
std::string dataset_label(const DataSpec& data);

}  // namespace fineprune
