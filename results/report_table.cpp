// Groups result rows over seeds into the report table and lists what a sweep has not delivered.
#include "results/report_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "common/defense_catalog.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/sweep_expansion.h"
#include "common/task.h"

namespace fineprune {

namespace {

// (model, attack, defense, prune_mode, rate, threshold): the rate of "rate" rows, the threshold of
// "stop" rows (the fractions they reach differ by seed), each 0 where the mode has none.
using GroupKey = std::tuple<std::string, std::string, std::string, std::string, double, double>;

GroupKey group_key(const ResultRow& r) {
  return {r.model, r.attack, r.defense, r.prune_mode, r.prune_mode == "rate" ? r.prune_rate : 0.0,
          r.prune_mode == "stop" ? r.stop_drop : 0.0};
}

int mode_rank(const std::string& m) { return m == "none" ? 0 : m == "stop" ? 1 : 2; }

// The task that writes a row (defense_catalog.h): none and prune rows come from the curve task;
// any other defense's from its own, named by its rate (or threshold, for "stop") where it runs
// once per pruning setting.
ExpectedTask task_of_row(const ResultRow& r) {
  const DefenseInfo* info = find_defense(r.defense);
  if (info != nullptr && info->tasks == DefenseTasks::Curve) return {"curve", r.attack, r.seed, "", 0, 0, r.model};
  if (info != nullptr && !info->per_prune_setting) return {r.defense, r.attack, r.seed, "", 0, 0, r.model};
  return {r.defense, r.attack, r.seed, r.prune_mode, r.prune_mode == "rate" ? r.prune_rate : 0.0,
          r.prune_mode == "stop" ? r.stop_drop : 0.0, r.model};
}

bool same_task(const ExpectedTask& t, const TaskRow& row) {
  return t.kind == row.kind && t.model == row.model && t.attack == row.attack && t.seed == row.seed &&
         (t.prune_mode.empty() ||
          (t.prune_mode == row.prune_mode && std::fabs(t.prune_rate - row.prune_rate) < 1e-9 &&
           std::fabs(t.stop_drop - row.stop_drop) < 1e-9));
}

// The YAML a file was written from, if it has one that still parses.
bool spec_of_file(const ResultFile& file, const std::string& source, ExperimentSpec& spec,
                  std::vector<std::string>& notes) {
  for (const char* attr : {"sweep_yaml", "experiment_yaml"}) {
    const auto it = file.attributes.find(attr);
    if (it == file.attributes.end()) continue;
    try {
      spec = parse_experiment_spec(it->second, source + " (attribute " + attr + ")");
      return true;
    } catch (const InputError& e) {
      notes.push_back(std::string("the file's ") + attr +
                      " attribute does not parse, so only the rows present are reported: " + e.what());
      return false;
    }
  }
  notes.push_back("the file carries no experiment YAML, so only the rows present are reported");
  return false;
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

void check_filter(const std::string& source, const char* option, const std::string& wanted,
                  const std::set<std::string>& known, const char* what) {
  if (wanted.empty() || known.count(wanted) > 0) return;
  throw InputError(source + ": " + option + ": no " + what + " '" + wanted + "' in this file (" +
                   what + "s: " + join(known) + ")");
}

// Latest task row (file order) matching the task, or nullptr.
const TaskRow* latest_row(const std::vector<TaskRow>& tasks, const ExpectedTask& t) {
  const TaskRow* found = nullptr;
  for (const TaskRow& row : tasks) {
    if (same_task(t, row)) found = &row;
  }
  return found;
}

}  // namespace

Stat make_stat(const std::vector<double>& values) {
  Stat s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  double ss = 0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.std = values.size() > 1 ? std::sqrt(ss / static_cast<double>(values.size() - 1)) : 0.0;
  return s;
}

std::string describe_task(const ExpectedTask& t, bool with_model) {
  std::string out = (with_model ? t.model + " " : std::string()) + t.attack + " seed " + std::to_string(t.seed) + ": " + t.kind;
  if (t.prune_mode == "stop") {
    char drop[64];
    std::snprintf(drop, sizeof drop, " at the stopping point (validation drop %.3g%%)", 100 * t.stop_drop);
    out += drop;
  }
  if (t.prune_mode == "rate") {
    char rate[32];
    std::snprintf(rate, sizeof rate, " rate %.2f", t.prune_rate);
    out += rate;
  }
  return out;
}

std::vector<ExpectedTask> expected_tasks(const ExperimentSpec& spec) {
  std::vector<ExpectedTask> out;
  for (const Task& t : expand_sweep(spec, "")) {  // keys unused: no program version needed
    out.push_back({task_kind_name(t), t.attack, t.seed, t.prune_mode, t.prune_rate, t.stop_drop, t.model});
  }
  return out;
}

ReportTable build_report(const ResultFile& file, const std::string& source,
                         const ReportFilter& filter) {
  ReportTable table;
  table.source = source;
  table.sweep = file.attributes.count("sweep_fingerprint") > 0;
  const auto counts = file.attributes.find("asr_counts");
  if (counts != file.attributes.end()) table.asr_counts = counts->second;

  ExperimentSpec spec;
  const bool have_spec = spec_of_file(file, source, spec, table.notes);

  // Attack order: the YAML's, then any others the rows hold. Each YAML attack's thresholds and
  // rates (its overrides').
  std::vector<std::string> attacks;
  std::map<std::string, PruningSpec> pruning;
  std::set<std::string> attack_set, defense_set;
  if (have_spec) {
    for (const AttackSpec& a : spec.attacks) {
      attacks.push_back(a.name);
      pruning[a.name] = spec_for_attack(spec, a).pruning;
    }
    defense_set.insert(spec.defenses.begin(), spec.defenses.end());
  }
  // Model order likewise: the YAML's labels, then any others the rows hold.
  std::vector<std::string>& models = table.models;
  if (have_spec) {
    for (const ModelSpec& m : sweep_models(spec)) models.push_back(model_label(m));
  }
  for (const ResultRow& r : file.results) {
    if (std::find(attacks.begin(), attacks.end(), r.attack) == attacks.end()) attacks.push_back(r.attack);
    if (std::find(models.begin(), models.end(), r.model) == models.end()) models.push_back(r.model);
    defense_set.insert(r.defense);
  }
  attack_set.insert(attacks.begin(), attacks.end());
  check_filter(source, "--attack", filter.attack, attack_set, "attack");
  check_filter(source, "--defense", filter.defense, defense_set, "defense");
  const auto wanted = [&](const std::string& attack, const std::string& defense) {
    return (filter.attack.empty() || attack == filter.attack) &&
           (filter.defense.empty() || defense == filter.defense);
  };

  // Seeds each group should have. Experiment files: the seeds their rows hold.
  std::vector<int64_t> seeds;
  if (have_spec && table.sweep) {
    seeds = spec.seeds;
  } else {
    std::set<int64_t> found;
    for (const ResultRow& r : file.results) found.insert(r.seed);
    seeds.assign(found.begin(), found.end());
    if (have_spec && seeds != spec.seeds && !file.results.empty()) {
      table.notes.push_back("the file holds " + std::to_string(seeds.size()) + " of the " +
                            std::to_string(spec.seeds.size()) +
                            " seeds its YAML lists (a run with --seed)");
    }
  }

  // Groups: expected ones first (in order), then any others the rows hold.
  std::map<GroupKey, std::vector<const ResultRow*>> groups;
  std::vector<GroupKey> order;
  const auto add_group = [&](const GroupKey& k) {
    if (groups.emplace(k, std::vector<const ResultRow*>{}).second) order.push_back(k);
  };
  if (have_spec) {
    for (const std::string& m : models) {
      for (const std::string& a : attacks) {
        const auto own = pruning.find(a);
        for (const std::string& d : spec.defenses) {
          if (!defense_info(d).per_prune_setting) {
            add_group({m, a, d, "none", 0.0, 0.0});
          } else if (own != pruning.end()) {
            for (double drop : own->second.max_val_drops) add_group({m, a, d, "stop", 0.0, drop});
            for (double r : own->second.rates) add_group({m, a, d, "rate", r, 0.0});
          }
        }
      }
    }
  }
  for (const ResultRow& r : file.results) {
    add_group(group_key(r));
    groups[group_key(r)].push_back(&r);
  }
  std::stable_sort(order.begin(), order.end(), [&](const GroupKey& x, const GroupKey& y) {
    const auto pos = [](const std::vector<std::string>& list, const std::string& a) {
      return std::find(list.begin(), list.end(), a) - list.begin();
    };
    return std::make_tuple(pos(models, std::get<0>(x)), pos(attacks, std::get<1>(x)), defense_rank(std::get<2>(x)),
                           mode_rank(std::get<3>(x)), std::get<4>(x), std::get<5>(x)) <
           std::make_tuple(pos(models, std::get<0>(y)), pos(attacks, std::get<1>(y)), defense_rank(std::get<2>(y)),
                           mode_rank(std::get<3>(y)), std::get<4>(y), std::get<5>(y));
  });

  // Baseline clean accuracy per (model, attack, seed), for the defenses' cost.
  std::map<std::tuple<std::string, std::string, int64_t>, double> baseline;
  for (const ResultRow& r : file.results) {
    if (r.defense == "none") baseline[{r.model, r.attack, r.seed}] = r.clean_acc;
  }

  const bool expect_all = have_spec || !file.results.empty();
  // Seeds expected of a (model, attack): all, or those a shard holds.
  const auto seeds_expected = [&](const std::string& model, const std::string& attack) {
    if (!filter.shard_pairs) return static_cast<int>(seeds.size());
    return static_cast<int>(std::count_if(seeds.begin(), seeds.end(), [&](int64_t seed) {
      return filter.shard_pairs->count({model, attack, seed}) > 0;
    }));
  };
  if (filter.shard_pairs) {
    table.notes.push_back("a shard's file: only its " + std::to_string(filter.shard_pairs->size()) +
                          (table.by_model() ? " (model, attack, seed) triples" : " (attack, seed) pairs") +
                          " are expected; merge the shards (fineprune merge) for the whole sweep");
  }
  for (const GroupKey& k : order) {
    const auto& [model, attack, defense, mode, rate, threshold] = k;
    if (!wanted(attack, defense)) continue;
    const int expected = expect_all ? seeds_expected(model, attack) : 0;
    if (filter.shard_pairs && expected == 0 && groups[k].empty()) continue;  // another shard's attack
    ReportRow row;
    row.model = model;
    row.attack = attack;
    row.defense = defense;
    row.prune_mode = mode;
    row.prune_rate = rate;
    row.stop_drop = threshold;
    row.n_expected = expected;
    std::vector<double> clean, asr, robust, fraction, drop, wall;
    for (const ResultRow* r : groups[k]) {
      clean.push_back(r->clean_acc);
      asr.push_back(r->asr);
      robust.push_back(r->robust_acc);
      fraction.push_back(r->total_channels > 0 ? static_cast<double>(r->pruned_channels) /
                                                     static_cast<double>(r->total_channels)
                                               : 0.0);
      wall.push_back(r->wall_s);
      const auto b = baseline.find({r->model, r->attack, r->seed});
      if (b != baseline.end()) drop.push_back(b->second - r->clean_acc);
    }
    row.n = static_cast<int>(clean.size());
    row.clean = make_stat(clean);
    row.asr = make_stat(asr);
    row.robust = make_stat(robust);
    row.pruned_fraction = make_stat(fraction).mean;
    row.clean_drop = make_stat(drop);
    row.wall_s = make_stat(wall).mean;
    table.rows.push_back(row);
  }

  if (!table.sweep || !have_spec) return table;

  // A sweep: every expected task is done or missing for a reason the tasks table gives.
  std::set<std::tuple<std::string, std::string, int64_t, std::string, std::string, double, double>> present;
  for (const ResultRow& r : file.results) {
    const ExpectedTask t = task_of_row(r);
    present.insert({t.kind, t.model, t.seed, t.attack, t.prune_mode, t.prune_rate, t.stop_drop});
  }
  for (const ExpectedTask& t : expected_tasks(spec)) {
    // Training has no rows of its own; its failure shows as the blocked tasks after it.
    if (t.kind == "train" || (!filter.attack.empty() && t.attack != filter.attack)) continue;
    if (filter.shard_pairs && filter.shard_pairs->count({t.model, t.attack, t.seed}) == 0) continue;
    if (!filter.defense.empty()) {
      const DefenseInfo* wanted_defense = find_defense(filter.defense);
      const bool writes = t.kind == "curve"
                              ? wanted_defense != nullptr && wanted_defense->tasks == DefenseTasks::Curve
                              : filter.defense == t.kind;
      if (!writes) continue;
    }
    ++table.tasks_expected;
    const TaskRow* row = latest_row(file.tasks, t);
    const bool has_rows =
        present.count({t.kind, t.model, t.seed, t.attack, t.prune_mode, t.prune_rate, t.stop_drop}) > 0;
    if (row != nullptr && row->status == "done" && has_rows) {
      ++table.tasks_done;
      continue;
    }
    MissingTask m{t, row == nullptr ? "pending" : row->status, row ? row->attempts : 0,
                  row ? row->error : ""};
    if (row != nullptr && row->status == "done") {
      m.status = "failed";
      m.error = "recorded as done but its rows are missing from the file";
    }
    if (m.status == "blocked") {
      const TaskRow* train = latest_row(file.tasks, {"train", t.attack, t.seed, "", 0, 0, t.model});
      if (train != nullptr && train->status == "failed") m.error = "training failed: " + train->error;
    }
    table.missing.push_back(m);
  }
  return table;
}

std::vector<std::string> table_attacks(const ReportTable& table) {
  std::vector<std::string> attacks;
  for (const ReportRow& r : table.rows) {
    if (std::find(attacks.begin(), attacks.end(), r.attack) == attacks.end()) attacks.push_back(r.attack);
  }
  return attacks;
}

}  // namespace fineprune
