// Synthetic result rows and sweep files for the report tests: known values, so that means,
// spreads and what-is-missing can be checked by hand.
#pragma once

#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune::report_fixtures {

// A valid experiment YAML with the given attacks (BadNets patches), seeds, defenses and rates.
inline std::string yaml(const std::vector<std::string>& attacks, const std::string& seeds,
                        const std::string& defenses, const std::string& rates) {
  std::string text = "name: synthetic\nattacks:\n";
  for (const std::string& a : attacks) {
    text += "  - name: " + a + "\n    trigger: {type: patch}\n";
  }
  text += "defenses: " + defenses + "\npruning: {rates: " + rates + "}\nseeds: " + seeds + "\n";
  return text;
}

// One result row. The undefended model of seed s has clean accuracy 0.89 + 0.01 s and ASR 1;
// every defense loses 0.005 s of clean accuracy against it (so the cost's mean is 0.005 x the
// mean seed) and has ASR 0.05 (fine-pruning) or 0.9 (others).
inline ResultRow row(const std::string& attack, int64_t seed, const std::string& defense,
                     const std::string& mode, double rate, const std::string& key = "") {
  ResultRow r;
  r.attack = attack;
  r.trigger = "patch";
  r.target_mode = "all_to_one";
  r.defense = defense;
  r.prune_mode = mode;
  r.prune_rate = mode == "rate" ? rate : mode == "stop" ? 0.75 : 0.0;
  r.stop_drop = mode == "stop" ? 0.04 : 0.0;  // the YAML's default threshold
  r.total_channels = 64;
  r.pruned_channels = mode == "rate" ? static_cast<int64_t>(rate * 64) : mode == "stop" ? 48 : 0;
  r.seed = seed;
  const double base = 0.89 + 0.01 * static_cast<double>(seed);
  r.clean_acc = defense == "none" ? base : base - 0.005 * static_cast<double>(seed);
  r.asr = defense == "none" ? 1.0 : defense == "fineprune" ? 0.05 : 0.9;
  r.robust_acc = 1 - r.asr;
  r.asr_counts = "non_target";
  r.wall_s = defense == "none" ? 0 : 10.0 * static_cast<double>(seed);
  r.model = "small_cnn";
  r.dataset = "idx";
  r.key = key;
  return r;
}

// Rows a run of `defenses` writes for one attack and seed (rates for prune and fineprune).
inline std::vector<ResultRow> rows_for(const std::string& attack, int64_t seed,
                                       const std::vector<std::string>& defenses,
                                       const std::vector<double>& rates) {
  std::vector<ResultRow> out;
  for (const std::string& d : defenses) {
    if (d == "none" || d == "finetune") out.push_back(row(attack, seed, d, "none", 0));
    if (d == "prune" || d == "fineprune") {
      out.push_back(row(attack, seed, d, "stop", 0));
      for (double r : rates) out.push_back(row(attack, seed, d, "rate", r));
    }
  }
  return out;
}

inline TaskRow task(const std::string& key, const std::string& kind, const std::string& attack,
                    int64_t seed, const std::string& status, const std::string& mode = "",
                    double setting = 0, const std::string& error = "") {
  TaskRow t;
  t.key = key;
  t.kind = kind;
  t.attack = attack;
  t.model = "small_cnn";  // the fixture YAML's one model
  t.seed = seed;
  t.prune_mode = mode;
  t.prune_rate = mode == "rate" ? setting : 0.0;  // `setting`: a rate, or a stop's threshold
  t.stop_drop = mode == "stop" ? setting : 0.0;
  t.status = status;
  t.attempts = status == "blocked" ? 0 : status == "failed" ? 3 : 1;
  t.worker = status == "blocked" ? -1 : 1;
  t.host = "node";
  t.error = error;
  return t;
}

// A curve of `points` + 1 points (0 .. points channels of 64) for one attack and seed: clean
// accuracy falls from 0.9, ASR from 1, both linearly; the stop at point `stop`.
inline std::vector<CurveRow> curve(const std::string& attack, int64_t seed, int points, int stop) {
  std::vector<CurveRow> out;
  for (int i = 0; i <= points; ++i) {
    CurveRow c;
    c.attack = attack;
    c.seed = seed;
    c.channels_pruned = i * 64 / points;
    c.fraction = static_cast<double>(c.channels_pruned) / 64.0;
    c.clean_acc = 0.9 - 0.1 * c.fraction + 0.01 * static_cast<double>(seed);
    c.val_acc = c.clean_acc;
    c.asr = 1.0 - 0.5 * c.fraction - 0.02 * static_cast<double>(seed - 1);  // seeds apart in the figures
    c.is_stop = i == stop ? 1 : 0;
    out.push_back(c);
  }
  return out;
}

}  // namespace fineprune::report_fixtures
