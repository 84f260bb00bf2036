// The paper-style report table: result rows grouped over seeds, with what a sweep has not
// (yet) delivered. Pure logic on a ResultFile already read; no torch, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/experiment_spec.h"
#include "results/result_tables.h"

namespace fineprune {

// Mean and sample standard deviation over the values of one group (std 0 for one value).
struct Stat {
  int n = 0;
  double mean = 0;
  double std = 0;
};
Stat make_stat(const std::vector<double>& values);

// One line of the table: model x attack x defense x pruning setting, over seeds.
struct ReportRow {
  std::string model;  // the model's label (results.model)
  std::string attack;
  std::string defense;
  std::string prune_mode;  // none | stop | rate
  double prune_rate = 0;   // "rate": the rate; else 0
  double stop_drop = 0;    // "stop": the threshold (max_val_drop; seeds may stop at other rates); else 0
  int n = 0;               // seeds with a row
  int n_expected = 0;      // seeds the sweep should deliver; 0 where unknown
  Stat clean, asr, robust;  // fractions in [0, 1]
  double pruned_fraction = 0;  // mean of pruned_channels / total_channels
  // The defense's cost: clean accuracy of the undefended model ("none" row of the same attack
  // and seed) minus this row's, over the seeds that have both (n 0 where none has a baseline),
  // and the mean wall time of the defense (pruning and/or fine-tuning), seconds.
  Stat clean_drop;
  double wall_s = 0;
};

// A task a sweep file should hold: one of expand_sweep's (common/sweep_expansion.h) for the
// sweep's YAML (the file's "sweep_yaml" attribute). kind: train | curve | a defense's name.
struct ExpectedTask {
  std::string kind;
  std::string attack;
  int64_t seed = 0;
  std::string prune_mode;  // "" | stop | rate (defenses run per pruning setting only)
  double prune_rate = 0;   // "rate": the rate; else 0
  double stop_drop = 0;    // "stop": the threshold; else 0
  std::string model;       // the model's label
};

// A task without its rows: failed, blocked (a task it needs failed), or pending (no outcome
// recorded yet: still running, queued, or the sweep was stopped).
struct MissingTask {
  ExpectedTask task;
  std::string status;  // failed | blocked | pending
  int attempts = 0;
  std::string error;   // the task's own message; for blocked, the failed training's if known
};

struct ReportFilter {
  std::string attack;   // empty: all
  std::string defense;  // empty: all
  // A shard's file (`fineprune run --shard I/K`) holds only some (model, attack, seed) triples
  // of its sweep: those, so that the others are not listed as pending. Unset: the whole sweep.
  std::optional<std::set<std::tuple<std::string, std::string, int64_t>>> shard_pairs;
};

struct ReportTable {
  std::string source;  // the file read (for titles and messages)
  bool sweep = false;  // written by `fineprune run` (has a sweep fingerprint)
  std::string asr_counts;  // non_target | all | "" (unknown)
  // The models the file holds or its YAML lists, in the YAML's order; by_model(): more than one,
  // so the tables print a model column and the figures name the model.
  std::vector<std::string> models;
  bool by_model() const { return models.size() > 1; }
  std::vector<ReportRow> rows;
  // Sweep files with an expected task list only; tasks counted after filtering.
  int tasks_expected = 0, tasks_done = 0;
  std::vector<MissingTask> missing;
  std::vector<std::string> notes;  // anything else the reader must know, one sentence each
};

// Builds the table. What a file should hold comes from its "experiment_yaml" attribute: for a
// sweep file every attack x seed x defense x setting of the YAML (missing ones become rows with
// n 0 and MissingTask entries); for an experiment file, which is only written whole, the seeds
// found in its rows (`fineprune experiment --seed N` runs one seed of a longer list). Without a
// readable YAML the rows alone count (a note says so). Rows follow the YAML's model order, then
// its attack order, then the defenses in catalog order (common/defense_catalog.h: none, prune,
// finetune, fineprune, clp, anp, nad), then setting none, stop, rates ascending.
// Throws InputError "<source>: --attack: no attack 'x' in this file (attacks: a, b)" (likewise
// --defense) when a filter names something the file neither holds nor expects.
ReportTable build_report(const ResultFile& file, const std::string& source,
                         const ReportFilter& filter);

// The attacks of the table's rows, each once, in row order (with several models the rows go
// through the attacks once per model): what the figures are drawn for.
std::vector<std::string> table_attacks(const ReportTable& table);

// The tasks a sweep's YAML expands to, in the orchestrator's order: expand_sweep's, as the
// report names them.
std::vector<ExpectedTask> expected_tasks(const ExperimentSpec& spec);

// "badnets seed 3: fineprune rate 0.50" (used in messages and the tables' notes); with_model:
// "max_pool badnets seed 3: ...".
std::string describe_task(const ExpectedTask& task, bool with_model = false);

}  // namespace fineprune
