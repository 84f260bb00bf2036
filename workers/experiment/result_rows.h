// Turns an experiment's measurements into the rows of the `results` and `curves` tables.
#pragma once

#include <string>
#include <vector>

#include "workers/defenses/pruning_plan.h"
#include "workers/experiment/experiment_runner.h"

namespace fineprune {

struct RowContext {
  const ExperimentSpec& spec;
  const AttackSpec& attack;
  const BackdooredModel& backdoored;
  uint64_t seed;
};

// A row of `defense` at `setting` (its mode, rate, channels and threshold go into the row), of
// `total_channels` (0: the prunable layer's).
ResultRow make_row(const RowContext& ctx, const std::string& defense, const PruneSetting& setting,
                   const Metrics& m, double finetune_epochs, double wall_s, int64_t total_channels = 0);

void append_curve_rows(const RowContext& ctx, const std::vector<CurvePoint>& curve, size_t stop,
                       std::vector<CurveRow>& out);

// A short name for the data set, for the tables: the data folder's or file's base name.
std::string dataset_label(const DataSpec& data);

}  // namespace fineprune
