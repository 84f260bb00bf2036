// Models as a sweep axis, end to end: a tiny real sweep of two small_cnn heads under MPI, its
// rows, curves and tasks labelled by model, its report grouped by model, and a resume.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "sweep_fixture.h"

namespace fineprune::mpi_test {
namespace {

// One attack, one seed, two models (the tiny sweep's CNN with a flatten and a max_pool head):
// per model train, curve (none and prune rows) and fine-pruning at the stop: 6 tasks.
std::string two_model_yaml() {
  std::string yaml = with_replaced(tiny_sweep_yaml("[1]"), "model: {name: small_cnn, widths: [8, 16, 16], hidden: 32}\n",
                                   "models:\n"
                                   "  - {name: flat, arch: small_cnn, widths: [8, 16, 16], hidden: 32, head: flatten}\n"
                                   "  - {name: pooled, arch: small_cnn, widths: [8, 16, 16], hidden: 32, head: max_pool}\n"
                                   "defenses: [none, prune, fineprune]\n");
  yaml = with_replaced(yaml, "  - name: blended\n    trigger: {type: blend, alpha: 0.2}\n", "");
  return with_replaced(yaml, "pruning: {rates: [0.5]}\n", "pruning: {rates: []}\n");
}

TEST_F(SweepMpi, TwoModelsRunAsAnAxisWithLabelledRowsAndReport) {
  const std::string file = dir_.file("models.yaml");
  write_text(file, two_model_yaml());
  const RunResult plan = run_fineprune({"plan", file, "--summary"}, scratch_.path());
  ASSERT_EQ(plan.exit_code, 0) << plan.all();
  EXPECT_NE(plan.out.find("2 models x 1 attacks x 1 seeds"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("tasks: 6 ("), std::string::npos) << plan.out;

  const std::string out = dir_.file("models.h5");
  const RunResult r = run_sweep(3, sweep_args(file, out), scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const ResultFile f = read_result_file(out);
  EXPECT_EQ(f.attributes.at("schema"), kResultSchema);
  EXPECT_EQ(done_task_keys(f.tasks).size(), 6u);

  std::map<std::string, size_t> results_by_model, curves_by_model, tasks_by_model;
  std::map<std::string, std::set<std::string>> keys_by_model;
  for (const ResultRow& row : f.results) {
    ++results_by_model[row.model];
    keys_by_model[row.model].insert(row.key);
  }
  for (const CurveRow& row : f.curves) ++curves_by_model[row.model];
  for (const TaskRow& row : f.tasks) ++tasks_by_model[row.model];
  // Per model: none, prune stop, fineprune stop; a curve of 0..16 channels pruned; 3 tasks.
  EXPECT_EQ(results_by_model, (std::map<std::string, size_t>{{"flat", 3}, {"pooled", 3}}));
  EXPECT_EQ(curves_by_model, (std::map<std::string, size_t>{{"flat", kTinyLastConvWidth + 1},
                                                             {"pooled", kTinyLastConvWidth + 1}}));
  EXPECT_EQ(tasks_by_model, (std::map<std::string, size_t>{{"flat", 3}, {"pooled", 3}}));
  for (const std::string& k : keys_by_model["flat"]) EXPECT_EQ(keys_by_model["pooled"].count(k), 0u);
  // Two different networks were trained: their saved models differ.
  std::set<std::string> digests;
  for (const TaskRow& row : f.tasks) {
    if (row.kind == "train") digests.insert(row.model_digest);
  }
  EXPECT_EQ(digests.size(), 2u);

  const RunResult report = run_fineprune({"report", out}, scratch_.path());
  ASSERT_EQ(report.exit_code, 0) << report.all();
  EXPECT_NE(report.out.find("| model | attack | defense |"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("| flat | badnets | fineprune | stop 4pt | 1 |"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("| pooled | badnets | fineprune | stop 4pt | 1 |"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("(complete)"), std::string::npos) << report.out;

  // Resume: nothing is recomputed, no row is duplicated.
  const RunResult again = run_sweep(3, sweep_args(file, out), scratch_.path());
  ASSERT_EQ(again.exit_code, 0) << again.all();
  const ResultFile g = read_result_file(out);
  EXPECT_EQ(g.results.size(), f.results.size());
  EXPECT_EQ(g.curves.size(), f.curves.size());
  EXPECT_EQ(g.tasks.size(), f.tasks.size());
  const RunResult after = run_fineprune({"plan", file, "--out", out, "--summary"}, scratch_.path());
  EXPECT_NE(after.out.find("6 of 6 tasks done"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace fineprune::mpi_test
