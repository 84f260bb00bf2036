// The report table from files written through ResultWriter: grouping over seeds, means and
// spreads, the defenses' cost, row order, filters, and what a sweep has not delivered.
#include <gtest/gtest.h>

#include "common/error.h"
#include "report_fixtures.h"
#include "result_test_support.h"
#include "results/report_format.h"
#include "results/report_table.h"

#include <set>
#include <tuple>

namespace fineprune {
namespace {

using namespace report_fixtures;
using testing_rows::TempDirTest;

const std::vector<std::string> kAllDefenses = {"none", "prune", "finetune", "fineprune"};

class ReportTableTest : public TempDirTest {
 protected:
  // An experiment file (ResultWriter::create) holding `rows` and the YAML attribute if given.
  ResultFile experiment_file(const std::vector<ResultRow>& rows, const std::string& yaml_text) {
    std::map<std::string, std::string> attributes = {{"asr_counts", "non_target"}};
    if (!yaml_text.empty()) attributes["experiment_yaml"] = yaml_text;
    auto writer = ResultWriter::create(path("exp.h5"), attributes);
    writer->append_results(rows);
    writer->close();
    return read_result_file(path("exp.h5"));
  }

  const ReportRow& find(const ReportTable& t, const std::string& attack, const std::string& defense,
                        const std::string& mode, double rate = 0) {
    for (const ReportRow& r : t.rows) {
      const double setting = mode == "stop" ? r.stop_drop : r.prune_rate;  // `rate`: or a stop's threshold
      if (r.attack == attack && r.defense == defense && r.prune_mode == mode && setting == rate) return r;
    }
    ADD_FAILURE() << "no row " << attack << " " << defense << " " << mode << " " << rate;
    static const ReportRow none;
    return none;
  }
};

TEST_F(ReportTableTest, ExperimentFileGroupsSeedsWithMeanStdAndCost) {
  std::vector<ResultRow> rows;
  for (int64_t seed : {1, 2, 3}) {
    for (const ResultRow& r : rows_for("badnets", seed, kAllDefenses, {0.5})) rows.push_back(r);
  }
  const ResultFile file =
      experiment_file(rows, yaml({"badnets"}, "[1, 2, 3]", "[none, prune, finetune, fineprune]", "[0.5]"));
  const ReportTable t = build_report(file, "exp.h5", {});
  EXPECT_FALSE(t.sweep);
  EXPECT_EQ(t.asr_counts, "non_target");
  ASSERT_EQ(t.rows.size(), 6u);  // none, prune stop/0.5, finetune, fineprune stop/0.5
  EXPECT_TRUE(t.missing.empty());
  EXPECT_TRUE(t.notes.empty()) << t.notes.front();

  const ReportRow& none = find(t, "badnets", "none", "none");
  EXPECT_EQ(none.n, 3);
  EXPECT_EQ(none.n_expected, 3);
  EXPECT_NEAR(none.clean.mean, 0.91, 1e-12);
  EXPECT_NEAR(none.clean.std, 0.01, 1e-12);  // sample std of 0.90, 0.91, 0.92
  EXPECT_NEAR(none.asr.mean, 1.0, 1e-12);
  EXPECT_EQ(none.clean_drop.n, 3);
  EXPECT_NEAR(none.clean_drop.mean, 0.0, 1e-12);

  const ReportRow& fp = find(t, "badnets", "fineprune", "rate", 0.5);
  EXPECT_EQ(fp.n, 3);
  EXPECT_NEAR(fp.asr.mean, 0.05, 1e-12);
  EXPECT_NEAR(fp.pruned_fraction, 0.5, 1e-12);
  EXPECT_NEAR(fp.clean_drop.mean, 0.01, 1e-12);    // 0.005 x seeds 1, 2, 3
  EXPECT_NEAR(fp.clean_drop.std, 0.005, 1e-12);
  EXPECT_NEAR(fp.wall_s, 20.0, 1e-12);

  // Stop rows of different seeds share a group whatever fraction each reached.
  const ReportRow& stop = find(t, "badnets", "prune", "stop", 0.04);  // grouped by its threshold
  EXPECT_EQ(stop.n, 3);
  EXPECT_NEAR(stop.pruned_fraction, 0.75, 1e-12);
}

TEST_F(ReportTableTest, RowsFollowYamlAttackOrderThenDefenseThenSetting) {
  std::vector<ResultRow> rows = rows_for("zeta", 1, {"fineprune", "finetune", "prune", "none"}, {0.8, 0.2});
  for (const ResultRow& r : rows_for("alpha", 1, kAllDefenses, {0.2, 0.8})) rows.push_back(r);
  const ResultFile file =
      experiment_file(rows, yaml({"zeta", "alpha"}, "[1]", "[none, prune, finetune, fineprune]", "[0.8, 0.2]"));
  const ReportTable t = build_report(file, "exp.h5", {});
  std::vector<std::string> got;
  for (const ReportRow& r : t.rows) {
    got.push_back(r.attack + " " + r.defense + " " + r.prune_mode + " " + std::to_string(r.prune_rate).substr(0, 3));
  }
  const std::vector<std::string> want = {
      "zeta none none 0.0",       "zeta prune stop 0.0",      "zeta prune rate 0.2",
      "zeta prune rate 0.8",      "zeta finetune none 0.0",   "zeta fineprune stop 0.0",
      "zeta fineprune rate 0.2",  "zeta fineprune rate 0.8",  "alpha none none 0.0",
      "alpha prune stop 0.0",     "alpha prune rate 0.2",     "alpha prune rate 0.8",
      "alpha finetune none 0.0",  "alpha fineprune stop 0.0", "alpha fineprune rate 0.2",
      "alpha fineprune rate 0.8"};
  EXPECT_EQ(got, want);
}

TEST_F(ReportTableTest, ExperimentRunForOneSeedExpectsThatSeedAndSaysSo) {
  const ResultFile file = experiment_file(rows_for("badnets", 2, {"none", "finetune"}, {}),
                                          yaml({"badnets"}, "[1, 2, 3]", "[none, finetune]", "[]"));
  const ReportTable t = build_report(file, "exp.h5", {});
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].n, 1);
  EXPECT_EQ(t.rows[0].n_expected, 1);
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_NE(t.notes[0].find("1 of the 3 seeds"), std::string::npos) << t.notes[0];
}

TEST_F(ReportTableTest, FileWithoutYamlReportsItsRowsAndSaysSo) {
  const ResultFile file = experiment_file(rows_for("badnets", 1, {"none", "fineprune"}, {0.5}), "");
  const ReportTable t = build_report(file, "exp.h5", {});
  EXPECT_EQ(t.rows.size(), 3u);
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_NE(t.notes[0].find("no experiment YAML"), std::string::npos);
}

TEST_F(ReportTableTest, FiltersKeepOneAttackOrDefense) {
  std::vector<ResultRow> rows = rows_for("badnets", 1, kAllDefenses, {0.5});
  for (const ResultRow& r : rows_for("blended", 1, kAllDefenses, {0.5})) rows.push_back(r);
  const ResultFile file =
      experiment_file(rows, yaml({"badnets", "blended"}, "[1]", "[none, prune, finetune, fineprune]", "[0.5]"));
  const ReportTable by_attack = build_report(file, "exp.h5", {"blended", ""});
  ASSERT_EQ(by_attack.rows.size(), 6u);
  for (const ReportRow& r : by_attack.rows) EXPECT_EQ(r.attack, "blended");
  const ReportTable by_defense = build_report(file, "exp.h5", {"", "fineprune"});
  ASSERT_EQ(by_defense.rows.size(), 4u);
  for (const ReportRow& r : by_defense.rows) EXPECT_EQ(r.defense, "fineprune");
  const ReportTable both = build_report(file, "exp.h5", {"badnets", "none"});
  ASSERT_EQ(both.rows.size(), 1u);
}

TEST_F(ReportTableTest, UnknownFilterNameIsInputErrorNamingFileOptionAndChoices) {
  const ResultFile file = experiment_file(rows_for("badnets", 1, {"none", "finetune"}, {}),
                                          yaml({"badnets"}, "[1]", "[none, finetune]", "[]"));
  const std::string attack = message_of<InputError>([&] { build_report(file, "some/exp.h5", {"nope", ""}); });
  EXPECT_NE(attack.find("some/exp.h5: --attack: no attack 'nope'"), std::string::npos) << attack;
  EXPECT_NE(attack.find("(attacks: badnets)"), std::string::npos) << attack;
  const std::string defense = message_of<InputError>([&] { build_report(file, "some/exp.h5", {"", "prune"}); });
  EXPECT_NE(defense.find("--defense: no defense 'prune'"), std::string::npos) << defense;
  EXPECT_NE(defense.find("finetune, none"), std::string::npos) << defense;
}

// A sweep half done: done, failed, blocked behind a failed training, and never started.
class ReportSweepTest : public ReportTableTest {
 protected:
  ResultFile sweep_file() {
    auto w = ResultWriter::open_sweep(
        path("sweep.h5"),
        {{"sweep_yaml", yaml({"badnets", "blended"}, "[1, 2]", "[none, finetune, fineprune]", "[0.5]")},
         {"asr_counts", "all"}},
        "fingerprint", false);
    int k = 0;
    const auto done = [&](const std::string& kind, const std::string& attack, int64_t seed,
                          const std::vector<ResultRow>& rows, const std::string& mode = "", double rate = 0) {
      const std::string key = "key" + std::to_string(k++);
      std::vector<ResultRow> keyed = rows;
      for (ResultRow& r : keyed) r.key = key;
      w->append_task_outcome(task(key, kind, attack, seed, "done", mode, rate), keyed, {});
    };
    for (int64_t seed : {1, 2}) done("train", "badnets", seed, {});
    for (int64_t seed : {1, 2}) done("curve", "badnets", seed, {row("badnets", seed, "none", "none", 0)});
    done("finetune", "badnets", 1, {row("badnets", 1, "finetune", "none", 0)});
    w->append_tasks({task("f1", "finetune", "badnets", 2, "failed", "", 0, "boom")});
    for (int64_t seed : {1, 2}) {
      done("fineprune", "badnets", seed, {row("badnets", seed, "fineprune", "stop", 0)}, "stop", 0.04);
    }
    done("fineprune", "badnets", 1, {row("badnets", 1, "fineprune", "rate", 0.5)}, "rate", 0.5);
    // badnets seed 2 fineprune rate 0.5: pending. blended seed 1: training failed.
    w->append_tasks({task("t1", "train", "blended", 1, "failed", "", 0, "out of memory"),
                     task("b1", "curve", "blended", 1, "blocked"),
                     task("b2", "finetune", "blended", 1, "blocked"),
                     task("b3", "fineprune", "blended", 1, "blocked", "stop", 0.04),
                     task("b4", "fineprune", "blended", 1, "blocked", "rate", 0.5)});
    w->close();
    return read_result_file(path("sweep.h5"));
  }
};

TEST_F(ReportSweepTest, CountsDoneAndListsFailedBlockedPending) {
  const ReportTable t = build_report(sweep_file(), "sweep.h5", {});
  EXPECT_TRUE(t.sweep);
  EXPECT_EQ(t.asr_counts, "all");
  EXPECT_EQ(t.tasks_expected, 16);  // 2 attacks x 2 seeds x (curve, finetune, 2 fineprune)
  EXPECT_EQ(t.tasks_done, 6);
  std::map<std::string, int> by_status;
  for (const MissingTask& m : t.missing) ++by_status[m.status];
  EXPECT_EQ(by_status["failed"], 1);
  EXPECT_EQ(by_status["blocked"], 4);
  EXPECT_EQ(by_status["pending"], 5);
  for (const MissingTask& m : t.missing) {
    if (m.status == "failed") {
      EXPECT_EQ(describe_task(m.task), "badnets seed 2: finetune");
      EXPECT_EQ(m.error, "boom");
      EXPECT_EQ(m.attempts, 3);
    }
    if (m.status == "blocked") EXPECT_EQ(m.error, "training failed: out of memory");
    if (m.status == "pending" && m.task.attack == "badnets") {
      EXPECT_EQ(describe_task(m.task), "badnets seed 2: fineprune rate 0.50");
    }
  }
}

TEST_F(ReportSweepTest, RowsShowSeedsFoundOfExpectedAndEmptyGroups) {
  const ReportTable t = build_report(sweep_file(), "sweep.h5", {});
  ASSERT_EQ(t.rows.size(), 8u);  // per attack: none, finetune, fineprune stop, fineprune 0.5
  EXPECT_EQ(find(t, "badnets", "none", "none").n, 2);
  EXPECT_EQ(find(t, "badnets", "finetune", "none").n, 1);
  EXPECT_EQ(find(t, "badnets", "finetune", "none").n_expected, 2);
  EXPECT_EQ(find(t, "badnets", "fineprune", "rate", 0.5).n, 1);
  for (const ReportRow& r : t.rows) {
    if (r.attack == "blended") EXPECT_EQ(r.n, 0) << r.defense;
    EXPECT_EQ(r.n_expected, 2);
  }
}

TEST_F(ReportSweepTest, FiltersApplyToMissingTasksToo) {
  const ResultFile file = sweep_file();
  const ReportTable blended = build_report(file, "sweep.h5", {"blended", ""});
  EXPECT_EQ(blended.tasks_expected, 8);
  EXPECT_EQ(blended.tasks_done, 0);
  EXPECT_EQ(blended.missing.size(), 8u);
  const ReportTable finetune = build_report(file, "sweep.h5", {"", "finetune"});
  EXPECT_EQ(finetune.tasks_expected, 4);
  EXPECT_EQ(finetune.tasks_done, 1);
  EXPECT_EQ(finetune.rows.size(), 2u);
}

// A shard's file expects only its own (attack, seed) pairs: the others are not pending.
TEST_F(ReportSweepTest, ShardFileExpectsOnlyItsPairs) {
  ReportFilter shard;
  shard.shard_pairs = std::set<std::tuple<std::string, std::string, int64_t>>{{"small_cnn", "badnets", 1},
                                                                             {"small_cnn", "badnets", 2}};
  const ResultFile file = sweep_file();
  const ReportTable t = build_report(file, "sweep.h5", shard);
  EXPECT_EQ(t.tasks_expected, 8);  // badnets x 2 seeds x (curve, finetune, 2 fineprune)
  EXPECT_EQ(t.tasks_done, 6);
  for (const MissingTask& m : t.missing) EXPECT_EQ(m.task.attack, "badnets") << describe_task(m.task);
  for (const ReportRow& r : t.rows) EXPECT_EQ(r.attack, "badnets");
  EXPECT_EQ(find(t, "badnets", "finetune", "none").n_expected, 2);
  bool noted = false;
  for (const std::string& n : t.notes) noted |= n.find("a shard's file") != std::string::npos;
  EXPECT_TRUE(noted);

  shard.shard_pairs = std::set<std::tuple<std::string, std::string, int64_t>>{{"small_cnn", "badnets", 2},
                                                                             {"small_cnn", "blended", 1}};
  const ReportTable mixed = build_report(file, "sweep.h5", shard);
  EXPECT_EQ(mixed.tasks_expected, 8);
  EXPECT_EQ(find(mixed, "badnets", "none", "none").n_expected, 1);
}

TEST_F(ReportSweepTest, LaterRetryOfAFailedTaskCountsAsDone) {
  const ResultFile before = sweep_file();
  {
    auto w = ResultWriter::open_sweep(path("sweep.h5"), {}, "fingerprint", false);
    ResultRow r = row("badnets", 2, "finetune", "none", 0, "f1");
    w->append_task_outcome(task("f1", "finetune", "badnets", 2, "done"), {r}, {});
    w->close();
  }
  const ReportTable t = build_report(read_result_file(path("sweep.h5")), "sweep.h5", {});
  EXPECT_EQ(t.tasks_done, 7);
  for (const MissingTask& m : t.missing) EXPECT_NE(m.status, "failed");
  EXPECT_EQ(find(t, "badnets", "finetune", "none").n, 2);
  EXPECT_GT(before.tasks.size(), 0u);
}

// The report's expected tasks are expansion's own (common/sweep_expansion.h), as it names them.
TEST(ExpectedTasks, AreTheSweepExpansionsTasks) {
  const auto spec_of = [](const std::string& defenses, const std::string& extra = "") {
    return parse_experiment_spec("attacks: [{name: a}, {name: b}]\nseeds: [1, 2]\npruning: {rates: [0.3, 0.6]}\n"
                                 "defenses: " + defenses + "\n" + extra, "sweep.yaml");
  };
  const auto tasks = expected_tasks(spec_of("[prune, fineprune]"));
  EXPECT_EQ(tasks.size(), 2u * 2u * (1 + 1 + 3));  // train, curve, fineprune stop + 2 rates
  EXPECT_EQ(describe_task(tasks[0]), "a seed 1: train");
  EXPECT_EQ(describe_task(tasks[2]), "a seed 1: fineprune at the stopping point (validation drop 4%)");
  EXPECT_EQ(describe_task(tasks[4]), "a seed 1: fineprune rate 0.60");
  const auto finetune_only = expected_tasks(spec_of("[finetune]"));
  ASSERT_EQ(finetune_only.size(), 2u * 2u * 2u);
  EXPECT_EQ(finetune_only[1].kind, "finetune");
  // A defense with settings: one task per model, named by the defense.
  const auto clp = expected_tasks(spec_of("[none, clp]", "clp: {u: 2}\n"));
  ASSERT_EQ(clp.size(), 2u * 2u * 3u);
  EXPECT_EQ(describe_task(clp[2]), "a seed 1: clp");
  // Each attack its own thresholds and rates (overrides).
  const auto own = expected_tasks(parse_experiment_spec(
      "attacks: [{name: a, overrides: {pruning: {rates: [0.5]}}},\n"
      "          {name: b, overrides: {pruning: {max_val_drop: [0.02, 0.1], rates: [0.1, 0.2]}}}]\n"
      "defenses: [fineprune]\n", "own.yaml"));
  ASSERT_EQ(own.size(), (1 + 2) + (1 + 4u));
  EXPECT_EQ(describe_task(own[4]), "b seed 1: fineprune at the stopping point (validation drop 2%)");
  EXPECT_EQ(describe_task(own[5]), "b seed 1: fineprune at the stopping point (validation drop 10%)");
  EXPECT_EQ(describe_task(own[6]), "b seed 1: fineprune rate 0.10");
}

}  // namespace
}  // namespace fineprune

namespace fineprune {
namespace {

// Models as a sweep axis: rows of two models (same attacks, defenses and seeds) stay apart, in
// the YAML's model order, each with its own undefended baseline; the formats print a model
// column, and the shard filter and the missing list are per model.
class ReportModelsTest : public testing_rows::TempDirTest {
 protected:
  static std::string models_yaml() {
    return yaml({"badnets"}, "[1, 2]", "[none, fineprune]", "[0.5]") +
           "models:\n  - {name: wide, arch: small_cnn, widths: [8, 16, 32]}\n"
           "  - {name: pooled, arch: small_cnn, head: max_pool}\n";
  }
  static std::vector<ResultRow> rows_of(const std::string& model, int64_t seed, double clean_shift) {
    std::vector<ResultRow> rows = rows_for("badnets", seed, {"none", "fineprune"}, {0.5});
    for (ResultRow& r : rows) {
      r.model = model;
      r.clean_acc += clean_shift;
      if (r.defense == "fineprune" && model == "pooled") r.asr = 0.5;
    }
    return rows;
  }
};

TEST_F(ReportModelsTest, GroupsByModelInYamlOrderWithOwnBaselines) {
  std::vector<ResultRow> rows;
  for (int64_t seed : {1, 2}) {
    for (const ResultRow& r : rows_of("pooled", seed, -0.2)) rows.push_back(r);  // rows: pooled first
    for (const ResultRow& r : rows_of("wide", seed, 0.0)) rows.push_back(r);
  }
  auto writer = ResultWriter::create(path("exp.h5"), {{"experiment_yaml", models_yaml()}});
  writer->append_results(rows);
  writer->close();
  const ReportTable t = build_report(read_result_file(path("exp.h5")), "exp.h5", {});
  EXPECT_EQ(t.models, (std::vector<std::string>{"wide", "pooled"}));
  ASSERT_TRUE(t.by_model());
  // The figures are drawn per model for each attack once (the rows pass the attack per model).
  EXPECT_EQ(table_attacks(t), std::vector<std::string>{"badnets"});
  std::vector<std::string> got;
  for (const ReportRow& r : t.rows) got.push_back(r.model + " " + r.defense + " " + r.prune_mode);
  EXPECT_EQ(got, (std::vector<std::string>{"wide none none", "wide fineprune stop", "wide fineprune rate",
                                           "pooled none none", "pooled fineprune stop", "pooled fineprune rate"}));
  for (const ReportRow& r : t.rows) {
    EXPECT_EQ(r.n, 2) << r.model << " " << r.defense;
    // Each model's cost is against its own undefended model (0.005 x the mean seed 1.5).
    if (r.defense == "fineprune") EXPECT_NEAR(r.clean_drop.mean, 0.0075, 1e-12) << r.model;
    if (r.defense == "fineprune") EXPECT_NEAR(r.asr.mean, r.model == "pooled" ? 0.5 : 0.05, 1e-12);
  }

  const std::string md = format_report(t, ReportFormat::Markdown);
  EXPECT_NE(md.find("| model | attack | defense |"), std::string::npos) << md;
  EXPECT_NE(md.find("| pooled | badnets | fineprune |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wide | badnets | none |"), std::string::npos) << md;
  const std::string csv = format_report(t, ReportFormat::Csv);
  EXPECT_EQ(csv.rfind("model,attack,defense,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\npooled,badnets,fineprune,rate,"), std::string::npos) << csv;
  EXPECT_NE(format_report(t, ReportFormat::Latex).find("model & attack & defense"), std::string::npos);
}

TEST_F(ReportModelsTest, OneModelKeepsTheTableAsItWas) {
  auto writer = ResultWriter::create(path("one.h5"), {{"experiment_yaml", yaml({"badnets"}, "[1]", "[none]", "[]")}});
  writer->append_results(rows_for("badnets", 1, {"none"}, {}));
  writer->close();
  const ReportTable t = build_report(read_result_file(path("one.h5")), "one.h5", {});
  EXPECT_EQ(t.models, std::vector<std::string>{"small_cnn"});
  EXPECT_FALSE(t.by_model());
  const std::string md = format_report(t, ReportFormat::Markdown);
  EXPECT_NE(md.find("| attack | defense | setting |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| model |"), std::string::npos) << md;
}

TEST_F(ReportModelsTest, MissingTasksAndShardsArePerModel) {
  auto w = ResultWriter::open_sweep(path("sweep.h5"), {{"sweep_yaml", models_yaml()}}, "fingerprint", false);
  // wide: everything of seed 1 done; pooled: nothing. A tasks row of the same (kind, attack,
  // seed) but the other model must not count for pooled.
  std::vector<ResultRow> rows = rows_of("wide", 1, 0.0);
  const std::vector<std::pair<std::string, std::vector<ResultRow>>> outcomes = {
      {"curve", {rows[0]}}, {"fineprune", {rows[1]}}, {"fineprune", {rows[2]}}};
  int k = 0;
  for (const auto& [kind, keyed_rows] : outcomes) {
    const std::string key = "k" + std::to_string(k++);
    std::vector<ResultRow> keyed = keyed_rows;
    for (ResultRow& r : keyed) r.key = key;
    TaskRow tr = task(key, kind, "badnets", 1, "done", kind == "fineprune" ? keyed[0].prune_mode : "",
                      kind == "fineprune" ? (keyed[0].prune_mode == "stop" ? 0.04 : 0.5) : 0);
    tr.model = "wide";
    w->append_task_outcome(tr, keyed, {});
  }
  TaskRow failed = task("t-pooled", "train", "badnets", 1, "failed", "", 0, "diverged");
  failed.model = "pooled";
  w->append_tasks({failed});
  w->close();
  const ResultFile file = read_result_file(path("sweep.h5"));
  const ReportTable t = build_report(file, "sweep.h5", {});
  EXPECT_EQ(t.tasks_expected, 12);  // 2 models x 2 seeds x (curve, fineprune stop, rate 0.5)
  EXPECT_EQ(t.tasks_done, 3);
  size_t pooled_seed1 = 0;
  for (const MissingTask& m : t.missing) pooled_seed1 += m.task.model == "pooled" && m.task.seed == 1 ? 1 : 0;
  EXPECT_EQ(pooled_seed1, 3u);
  EXPECT_NE(format_report_notes(t).find("- pooled badnets seed 1: curve: pending"), std::string::npos)
      << format_report_notes(t);

  ReportFilter shard;
  shard.shard_pairs = std::set<std::tuple<std::string, std::string, int64_t>>{{"wide", "badnets", 1}};
  const ReportTable mine = build_report(file, "sweep.h5", shard);
  EXPECT_EQ(mine.tasks_expected, 3);
  EXPECT_EQ(mine.tasks_done, 3);
  EXPECT_TRUE(mine.missing.empty());
}

}  // namespace
}  // namespace fineprune
