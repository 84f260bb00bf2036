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

// One pruning setting: a stopping point ("stop"), a fixed rate ("rate"), or none ("none").
struct PruneSetting {
  std::string mode = "none";
  double rate = 0;       // requested rate, or the fraction reached at the stopping point
  int64_t channels = 0;  // how many channels it prunes
  double stop_drop = 0;  // "stop": the threshold it stopped at
};

// A row of `defense` at `setting` (its mode, rate, channels and threshold go into the row).
ResultRow make_row(const RowContext& ctx, const std::string& defense, const PruneSetting& setting,
                   const Metrics& m, double finetune_epochs, double wall_s);

void append_curve_rows(const RowContext& ctx, const std::vector<CurvePoint>& curve, size_t stop,
                       std::vector<CurveRow>& out);

// A short name for the data set, for the tables: the data folder's or file's base name.
std::string dataset_label(const DataSpec& data);

}  // namespace fineprune
