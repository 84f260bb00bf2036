// End-to-end runs of `fineprune experiment` on a tiny Fashion-MNIST experiment: the tables it
// writes, determinism, the --seed override and command-line usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli_harness.h"
#include "results/result_tables.h"

namespace fineprune::e2e {
namespace {

#define SKIP_WITHOUT_FASHION_MNIST()                                              \
  do {                                                                            \
    if (!have_fashion_mnist()) GTEST_SKIP() << "no dataset at " << kFashionMnistDir; \
  } while (0)

// A tiny experiment file and an output folder holding nothing else, in one temp folder.
struct TinyRun {
  TempDir dir;
  std::string config = dir.file("tiny.yaml");
  std::string out_dir = dir.file("out");
  std::string out = out_dir + "/results.h5";
  std::string yaml;

  explicit TinyRun(const TinyOptions& options = {}) : yaml(tiny_experiment_yaml(options)) {
    write_text(config, yaml);
    std::filesystem::create_directories(out_dir);
  }
  RunResult run(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"experiment", config, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_fineprune(args, dir.path());
  }
};

void expect_fraction(double v, const std::string& what) {
  EXPECT_TRUE(v >= 0.0 && v <= 1.0) << what << " = " << v << " is not in [0, 1]";
}

void expect_metrics_in_range(const ResultRow& r) {
  const std::string where = r.defense + "/" + r.prune_mode;
  expect_fraction(r.clean_acc, where + " clean_acc");
  expect_fraction(r.asr, where + " asr");
  expect_fraction(r.robust_acc, where + " robust_acc");
  expect_fraction(r.val_acc, where + " val_acc");
}

const ResultRow* find_row(const std::vector<ResultRow>& rows, const std::string& defense,
                          const std::string& mode) {
  for (const ResultRow& r : rows) {
    if (r.defense == defense && r.prune_mode == mode) return &r;
  }
  return nullptr;
}

TEST(ExperimentE2e, TinyRunWritesExpectedTables) {
  SKIP_WITHOUT_FASHION_MNIST();
  const TinyRun t;
  const RunResult r = t.run({"--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << "stderr:\n" << r.err;
  // The lock file stays, as a sweep's does (common/file_lock.h); no temporary file does.
  EXPECT_EQ(list_dir(t.out_dir), (std::vector<std::string>{"results.h5", "results.h5.lock"})) << "leftover files";
  EXPECT_FALSE(r.out.empty()) << "no summary on stdout";

  const ResultFile f = read_result_file(t.out);

  // One row per defense and pruning setting: none; prune at stop and at 0.5; finetune;
  // fineprune at stop and at 0.5.
  ASSERT_EQ(f.results.size(), 6u);
  std::map<std::pair<std::string, std::string>, int> count;
  for (const ResultRow& row : f.results) ++count[{row.defense, row.prune_mode}];
  const std::map<std::pair<std::string, std::string>, int> expected{
      {{"none", "none"}, 1},     {{"prune", "stop"}, 1},     {{"prune", "rate"}, 1},
      {{"finetune", "none"}, 1}, {{"fineprune", "stop"}, 1}, {{"fineprune", "rate"}, 1}};
  EXPECT_EQ(count, expected);

  for (const ResultRow& row : f.results) {
    SCOPED_TRACE(row.defense + "/" + row.prune_mode);
    EXPECT_EQ(row.attack, "badnets");
    EXPECT_EQ(row.trigger, "patch");
    EXPECT_EQ(row.target_mode, "all_to_one");
    EXPECT_EQ(row.target_label, 0);
    EXPECT_DOUBLE_EQ(row.poison_rate, 0.1);
    EXPECT_EQ(row.pruning_aware, 0);
    EXPECT_EQ(row.seed, 1);
    EXPECT_EQ(row.total_channels, 16);  // widths [8, 16, 16]: the last conv is pruned
    EXPECT_EQ(row.model, "small_cnn");
    EXPECT_EQ(row.asr_counts, "non_target");
    const bool tuned = row.defense == "finetune" || row.defense == "fineprune";
    EXPECT_DOUBLE_EQ(row.finetune_epochs, tuned ? 2.0 : 0.0);
    if (row.prune_mode == "rate") {
      EXPECT_DOUBLE_EQ(row.prune_rate, 0.5);
      EXPECT_EQ(row.pruned_channels, 8);
    }
    if (row.prune_mode == "none") EXPECT_EQ(row.pruned_channels, 0);
    expect_metrics_in_range(row);
    EXPECT_GE(row.wall_s, 0.0);
    EXPECT_GT(row.train_wall_s, 0.0);
  }

  // The curve: one point per pruned channel, 0..16, the stopping point marked once.
  ASSERT_EQ(f.curves.size(), 17u);
  int stops = 0;
  size_t stop = 0;
  for (size_t k = 0; k < f.curves.size(); ++k) {
    const CurveRow& c = f.curves[k];
    SCOPED_TRACE("curve point " + std::to_string(k));
    EXPECT_EQ(c.attack, "badnets");
    EXPECT_EQ(c.seed, 1);
    EXPECT_EQ(c.channels_pruned, static_cast<int64_t>(k));
    EXPECT_DOUBLE_EQ(c.fraction, static_cast<double>(k) / 16.0);
    expect_fraction(c.val_acc, "val_acc");
    expect_fraction(c.clean_acc, "clean_acc");
    expect_fraction(c.asr, "asr");
    expect_fraction(c.robust_acc, "robust_acc");
    ASSERT_TRUE(c.is_stop == 0 || c.is_stop == 1);
    if (c.is_stop == 1) {
      ++stops;
      stop = k;
    }
  }
  ASSERT_EQ(stops, 1);

  // The stop is the last point before validation accuracy drops by more than 4 points.
  const double floor = f.curves[0].val_acc - 0.04;
  for (size_t k = 0; k <= stop; ++k) EXPECT_GE(f.curves[k].val_acc, floor - 1e-12) << "point " << k;
  if (stop + 1 < f.curves.size()) EXPECT_LT(f.curves[stop + 1].val_acc, floor + 1e-12);

  // The prune rows are points of the curve.
  const ResultRow* none = find_row(f.results, "none", "none");
  const ResultRow* prune_stop = find_row(f.results, "prune", "stop");
  const ResultRow* prune_rate = find_row(f.results, "prune", "rate");
  const ResultRow* fp_stop = find_row(f.results, "fineprune", "stop");
  ASSERT_TRUE(none && prune_stop && prune_rate && fp_stop);
  EXPECT_EQ(prune_stop->pruned_channels, static_cast<int64_t>(stop));
  EXPECT_EQ(fp_stop->pruned_channels, static_cast<int64_t>(stop));
  EXPECT_DOUBLE_EQ(prune_stop->prune_rate, f.curves[stop].fraction);
  EXPECT_DOUBLE_EQ(prune_stop->clean_acc, f.curves[stop].clean_acc);
  EXPECT_DOUBLE_EQ(prune_stop->asr, f.curves[stop].asr);
  EXPECT_DOUBLE_EQ(prune_stop->val_acc, f.curves[stop].val_acc);
  EXPECT_DOUBLE_EQ(prune_rate->clean_acc, f.curves[8].clean_acc);
  EXPECT_DOUBLE_EQ(prune_rate->asr, f.curves[8].asr);
  // The unpruned point of the fast curve is the model itself (one image of 500 of float slack).
  EXPECT_NEAR(f.curves[0].clean_acc, none->clean_acc, 1.0 / 500 + 1e-12);
  EXPECT_NEAR(f.curves[0].asr, none->asr, 1.0 / 450 + 1e-12);
  EXPECT_NEAR(f.curves[0].val_acc, none->val_acc, 1.0 / 500 + 1e-12);

  // The attributes: the exact file text, the file name and the program version.
  ASSERT_TRUE(f.attributes.count("experiment_yaml"));
  EXPECT_EQ(f.attributes.at("experiment_yaml"), t.yaml);
  ASSERT_TRUE(f.attributes.count("fineprune_version"));
  EXPECT_FALSE(f.attributes.at("fineprune_version").empty());
  ASSERT_TRUE(f.attributes.count("experiment_file"));
  EXPECT_NE(f.attributes.at("experiment_file").find("tiny.yaml"), std::string::npos);
  EXPECT_EQ(f.attributes.at("asr_counts"), "non_target");
  EXPECT_EQ(f.attributes.at("torch_threads"), "1");
}

// Everything but the wall times must repeat bit for bit with one thread and the same seed.
void expect_same_results(const ResultRow& a, const ResultRow& b) {
  EXPECT_EQ(a.attack, b.attack);
  EXPECT_EQ(a.trigger, b.trigger);
  EXPECT_EQ(a.target_mode, b.target_mode);
  EXPECT_EQ(a.target_label, b.target_label);
  EXPECT_EQ(a.poison_rate, b.poison_rate);
  EXPECT_EQ(a.pruning_aware, b.pruning_aware);
  EXPECT_EQ(a.defense, b.defense);
  EXPECT_EQ(a.prune_mode, b.prune_mode);
  EXPECT_EQ(a.prune_rate, b.prune_rate);
  EXPECT_EQ(a.pruned_channels, b.pruned_channels);
  EXPECT_EQ(a.total_channels, b.total_channels);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.clean_acc, b.clean_acc);
  EXPECT_EQ(a.asr, b.asr);
  EXPECT_EQ(a.robust_acc, b.robust_acc);
  EXPECT_EQ(a.val_acc, b.val_acc);
  EXPECT_EQ(a.asr_counts, b.asr_counts);
  EXPECT_EQ(a.finetune_epochs, b.finetune_epochs);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.dataset, b.dataset);
  EXPECT_EQ(a.key, b.key);
}

void expect_same_curve(const CurveRow& a, const CurveRow& b) {
  EXPECT_EQ(a.attack, b.attack);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.channels_pruned, b.channels_pruned);
  EXPECT_EQ(a.fraction, b.fraction);
  EXPECT_EQ(a.val_acc, b.val_acc);
  EXPECT_EQ(a.clean_acc, b.clean_acc);
  EXPECT_EQ(a.asr, b.asr);
  EXPECT_EQ(a.robust_acc, b.robust_acc);
  EXPECT_EQ(a.is_stop, b.is_stop);
}

// Several stopping thresholds: prune and fine-prune rows at each, named by stop_drop; each stop
// is the last curve point within its threshold; the curve marks the first.
TEST(ExperimentE2e, EveryStoppingThresholdGivesItsRows) {
  SKIP_WITHOUT_FASHION_MNIST();
  TinyOptions options;
  options.stops = "[0.04, 0.25]";
  const TinyRun t(options);
  const RunResult r = t.run({"--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << "stderr:\n" << r.err;
  const ResultFile f = read_result_file(t.out);
  ASSERT_EQ(f.results.size(), 8u);  // none, prune x (2 stops + rate), finetune, fineprune x 3
  std::map<std::string, std::map<double, const ResultRow*>> stops;  // defense -> threshold -> row
  for (const ResultRow& row : f.results) {
    if (row.prune_mode == "stop") {
      EXPECT_TRUE(stops[row.defense].emplace(row.stop_drop, &row).second) << "two rows at one stop";
    } else {
      EXPECT_EQ(row.stop_drop, 0.0) << row.defense << " " << row.prune_mode;
    }
  }
  for (const char* defense : {"prune", "fineprune"}) {
    ASSERT_EQ(stops[defense].size(), 2u) << defense;
    ASSERT_EQ(stops[defense].count(0.04) + stops[defense].count(0.25), 2u) << defense;
  }
  const double base = f.curves.at(0).val_acc;
  for (double drop : {0.04, 0.25}) {
    const int64_t k = stops["prune"][drop]->pruned_channels;
    EXPECT_EQ(stops["fineprune"][drop]->pruned_channels, k) << drop;
    for (int64_t j = 0; j <= k; ++j) EXPECT_GE(f.curves[j].val_acc, base - drop - 1e-12) << drop << " point " << j;
    if (k + 1 < static_cast<int64_t>(f.curves.size())) EXPECT_LT(f.curves[k + 1].val_acc, base - drop + 1e-12) << drop;
  }
  EXPECT_GE(stops["prune"][0.25]->pruned_channels, stops["prune"][0.04]->pruned_channels);
  for (const CurveRow& c : f.curves) {
    EXPECT_EQ(c.is_stop, c.channels_pruned == stops["prune"][0.04]->pruned_channels ? 1 : 0);
  }
}

TEST(ExperimentE2e, SameSeedOneThreadIsDeterministic) {
  SKIP_WITHOUT_FASHION_MNIST();
  const TinyRun t;
  const std::string out2 = t.out_dir + "/again.h5";
  const RunResult r1 = t.run({"--threads", "1", "--quiet"});
  ASSERT_EQ(r1.exit_code, 0) << "stderr:\n" << r1.err;
  const RunResult r2 = run_fineprune({"experiment", t.config, "--out", out2, "--threads", "1", "--quiet"},
                                     t.dir.path());
  ASSERT_EQ(r2.exit_code, 0) << "stderr:\n" << r2.err;

  const ResultFile a = read_result_file(t.out);
  const ResultFile b = read_result_file(out2);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    SCOPED_TRACE("results row " + std::to_string(i));
    expect_same_results(a.results[i], b.results[i]);
  }
  ASSERT_EQ(a.curves.size(), b.curves.size());
  for (size_t i = 0; i < a.curves.size(); ++i) {
    SCOPED_TRACE("curve row " + std::to_string(i));
    expect_same_curve(a.curves[i], b.curves[i]);
  }
  EXPECT_EQ(a.attributes, b.attributes);
}

TEST(ExperimentE2e, SeedFlagOverridesTheFilesSeeds) {
  SKIP_WITHOUT_FASHION_MNIST();
  TinyOptions options;
  options.seeds = "[1, 2]";
  const TinyRun t(options);
  const RunResult r = t.run({"--seed", "7", "--threads", "1", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << "stderr:\n" << r.err;

  const ResultFile f = read_result_file(t.out);
  EXPECT_EQ(f.results.size(), 6u) << "one seed's rows, not two";
  for (const ResultRow& row : f.results) EXPECT_EQ(row.seed, 7);
  EXPECT_EQ(f.curves.size(), 17u);
  for (const CurveRow& c : f.curves) EXPECT_EQ(c.seed, 7);
  // The stored file is the file as written, seeds list included.
  EXPECT_EQ(f.attributes.at("experiment_yaml"), t.yaml);
}

TEST(ExperimentE2e, OutputFolderMissingIsBadInput) {
  const TinyRun t;
  const std::string out = t.dir.file("no-such-folder/results.h5");
  const RunResult r = run_fineprune({"experiment", t.config, "--out", out, "--quiet"}, t.dir.path());
  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  EXPECT_NE(r.err.find("no-such-folder"), std::string::npos) << r.err;
}

// Command-line mistakes: exit 2, a message on stderr, and no output file.
struct UsageCase {
  const char* name;
  std::vector<std::string> args;  // "{config}" and "{out}" are replaced by real paths
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << c.name; }

class CliUsageE2e : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsageE2e, ExitsTwoWithMessage) {
  const TinyRun t;
  std::vector<std::string> args;
  for (const std::string& a : GetParam().args) args.push_back(a == "{config}" ? t.config : a == "{out}" ? t.out : a);
  const RunResult r = run_fineprune(args, t.dir.path());
  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  EXPECT_FALSE(r.err.empty()) << "no message on stderr";
  EXPECT_TRUE(list_dir(t.out_dir).empty()) << "the run wrote something";
}

const UsageCase kUsageCases[] = {
    {"MissingOut", {"experiment", "{config}"}},
    {"MissingOutValue", {"experiment", "{config}", "--out"}},
    {"MissingConfigArgument", {"experiment", "--out", "{out}"}},
    {"UnknownFlag", {"experiment", "{config}", "--out", "{out}", "--frobnicate"}},
    {"UnknownSubcommand", {"sweep-everything", "{config}"}},
    {"NoSubcommand", {}},
    {"NegativeSeed", {"experiment", "{config}", "--out", "{out}", "--seed", "-1"}},
    {"NonNumericThreads", {"experiment", "{config}", "--out", "{out}", "--threads", "many"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, CliUsageE2e, ::testing::ValuesIn(kUsageCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fineprune::e2e
