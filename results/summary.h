// Aggregates result rows over seeds: mean and standard deviation of clean accuracy and ASR per
// attack x defense x pruning setting, printed as an aligned text table.
#pragma once

#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune {

struct SummaryRow {
  std::string model, attack, defense, prune_mode;
  double prune_rate = 0;  // "rate" rows: the rate; else 0
  double stop_drop = 0;   // "stop" rows: the threshold; else 0
  int n = 0;  // seeds
  double clean_mean = 0, clean_std = 0;
  double asr_mean = 0, asr_std = 0;
  double robust_mean = 0;
  double pruned_fraction_mean = 0;
};

// Groups rows by (model, attack, defense, prune_mode, prune_rate, stop_drop) in first-seen order. std is the sample
// standard deviation (0 for a single seed).
std::vector<SummaryRow> summarise(const std::vector<ResultRow>& rows);

// "attack  defense  setting  n  clean(mean+-std)  ASR(mean+-std) ..." in percent; a model column
// first where the rows hold more than one model.
std::string format_summary(const std::vector<SummaryRow>& rows);

}  // namespace fineprune
