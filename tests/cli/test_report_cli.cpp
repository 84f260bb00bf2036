// End-to-end runs of `fineprune report`: the table on stdout and in files, the figures as real
// PNG files (decoded, not blank, every legend series drawn), and bad input that must write nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "common/file_lock.h"
#include "png_pixels.h"
#include "results/plots.h"
#include "results/result_tables.h"
#include "tests/results/report_fixtures.h"

namespace fineprune::e2e {
namespace {

namespace fs = std::filesystem;
using namespace report_fixtures;

const std::vector<std::string> kAllDefenses = {"none", "prune", "finetune", "fineprune"};

// A result file as `fineprune experiment` writes it: 2 attacks x 3 seeds, all four defenses at
// the stop and rates 0.5 and 0.9, and each seed's pruning curve.
struct ReportFiles {
  TempDir dir;
  std::string results = dir.file("results.h5");
  std::string out_dir = dir.file("out");
  std::string scratch = dir.file("scratch");

  ReportFiles() {
    fs::create_directories(out_dir);
    fs::create_directories(scratch);
    auto w = ResultWriter::create(
        results, {{"experiment_yaml", yaml({"badnets", "blended"}, "[1, 2, 3]",
                                           "[none, prune, finetune, fineprune]", "[0.5, 0.9]")},
                  {"asr_counts", "non_target"}});
    for (const char* attack : {"badnets", "blended"}) {
      for (int64_t seed : {1, 2, 3}) {
        w->append_results(rows_for(attack, seed, kAllDefenses, {0.5, 0.9}));
        w->append_curve(curve(attack, seed, 64, 40 + static_cast<int>(seed)));
      }
    }
    w->close();
  }
  RunResult report(std::vector<std::string> extra) const {
    std::vector<std::string> args{"report", results};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_fineprune(args, scratch);
  }
};

TEST(ReportE2e, MarkdownTableOnStdout) {
  const ReportFiles f;
  const RunResult r = f.report({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| badnets | none | - | 3 | 91.00 ± 1.00 | 100.00 ± 0.00 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| blended | fineprune | rate 0.90 | 3 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(experiment)"), std::string::npos);
}

TEST(ReportE2e, CsvAndLatexToFilesWithFilters) {
  const ReportFiles f;
  const std::string csv = f.out_dir + "/table.csv";
  RunResult r = f.report({"--format", "csv", "--out", csv, "--attack", "blended"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  const std::string text = read_bytes(csv);
  EXPECT_EQ(text.rfind("attack,defense,", 0), 0u);
  EXPECT_EQ(text.find("badnets"), std::string::npos);
  EXPECT_NE(text.find("\nblended,fineprune,rate,0.9,0,3,3,"), std::string::npos) << text;

  const std::string tex = f.out_dir + "/table.tex";
  r = f.report({"--format", "latex", "--out", tex, "--defense", "fineprune"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string latex = read_bytes(tex);
  EXPECT_NE(latex.find("\\begin{tabular}"), std::string::npos);
  EXPECT_EQ(latex.find(" & finetune & "), std::string::npos);
  EXPECT_NE(latex.find("badnets & fineprune & stop 4pt & 3"), std::string::npos) << latex;
  EXPECT_EQ(list_dir(f.out_dir), (std::vector<std::string>{"table.csv", "table.tex"}));  // no temporaries
}

// --out naming a file a run writes (its <out>.lock beside it, held): refused, the file untouched.
TEST(ReportE2e, OutputARunIsWritingIsRefused) {
  const ReportFiles f;
  const std::string target = f.out_dir + "/sweep.h5";
  write_text(target, "a sweep's file, being written");
  const FileLock held(target + ".lock", target, "a sweep of this test, pid 4242");
  const RunResult r = f.report({"--out", target});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("pid 4242"), std::string::npos) << r.err;
  EXPECT_EQ(read_bytes(target), "a sweep's file, being written");
}

// What a figure must show inside its plot frame, which ends where the legend's margin begins
// (plot_script.cpp: bmargin at 0.27 of the height), so legend samples do not count:
//  - `thick`: series drawn thick (means, markers): at least 20 pixels of their exact colour;
//  - `thin`: one-pixel lines (each seed), anti-aliased so that few pixels keep the exact colour:
//    at least 200 pixels blended from it over white (the thick lines' own edges give up to ~50
//    of a lighter shade of their hue, measured);
//  - `legend_only`: series the data puts exactly under another's line: in the legend at least;
//  - `absent`: colours that must appear nowhere.
struct FigureSeries {
  std::vector<std::string> thick, thin, legend_only, absent;
};

void expect_figure(const std::string& path, const FigureSeries& series) {
  SCOPED_TRACE(path);
  ASSERT_TRUE(file_exists(path));
  const std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const RgbImage image = read_png(path);
  EXPECT_EQ(image.width, 900);
  EXPECT_EQ(image.height, 660);
  const double inked = inked_fraction(image);
  EXPECT_GT(inked, 0.02) << "blank figure";
  EXPECT_LT(inked, 0.5) << "figure mostly ink";
  const int frame_rows = static_cast<int>(image.height * (1 - 0.27));
  for (const std::string& c : series.thick) {
    EXPECT_GE(pixels_of_color(image, c, frame_rows), 20) << "series colour " << c << " not drawn in the plot frame";
  }
  for (const std::string& c : series.thin) {
    EXPECT_GE(pixels_blended_from(image, c, frame_rows), 200) << "thin series " << c << " not drawn in the plot frame";
  }
  for (const std::string& c : series.legend_only) EXPECT_GE(pixels_of_color(image, c), 10) << "legend colour " << c;
  for (const std::string& c : series.absent) EXPECT_EQ(pixels_of_color(image, c), 0) << "colour " << c;
}

TEST(ReportE2e, PlotsArePngsShowingEverySeries) {
  const ReportFiles f;
  const std::string figures = f.out_dir + "/figures";  // made by the command
  const RunResult r = f.report({"--plot", figures});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(figures),
            (std::vector<std::string>{"fineprune-rates-badnets.png", "fineprune-rates-blended.png",
                                      "pruning-curve-badnets.png", "pruning-curve-blended.png"}));
  using namespace plot_colors;
  for (const char* attack : {"badnets", "blended"}) {
    expect_figure(figures + "/pruning-curve-" + attack + ".png",
                  {{kClean, kAsr, kStop}, {kCleanSeed, kAsrSeed}, {}, {kCleanPrune, kAsrPrune}});
    // The fixture gives pruning alone the clean accuracy of fine-pruning: that line lies under it.
    expect_figure(figures + "/fineprune-rates-" + attack + ".png",
                  {{kClean, kAsr, kAsrPrune}, {}, {kCleanPrune}, {kCleanSeed, kAsrSeed}});
  }
}

TEST(ReportE2e, MissingGnuplotIsAClearErrorAndWritesNothing) {
  const ReportFiles f;
  ASSERT_EQ(setenv("FINEPRUNE_GNUPLOT", "/nonexistent/gnuplot", 1), 0);
  const std::string table = f.out_dir + "/table.md";
  const RunResult r = f.report({"--plot", f.out_dir + "/figures", "--out", table});
  unsetenv("FINEPRUNE_GNUPLOT");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("gnuplot-nox"), std::string::npos) << r.err;
  EXPECT_TRUE(list_dir(f.out_dir).empty()) << "something was written";
}

TEST(ReportE2e, SweepFileSaysWhatFailedAndWhatIsPending) {
  const ReportFiles f;
  const std::string sweep = f.dir.file("sweep.h5");
  {
    auto w = ResultWriter::open_sweep(
        sweep, {{"sweep_yaml", yaml({"badnets"}, "[1, 2]", "[none, finetune]", "[]")}}, "fp", false);
    w->append_task_outcome(task("k1", "curve", "badnets", 1, "done"), {row("badnets", 1, "none", "none", 0, "k1")}, {});
    w->append_tasks({task("k2", "finetune", "badnets", 1, "failed", "", 0, "disk full")});
    w->close();
  }
  const RunResult r = run_fineprune({"report", sweep}, f.scratch);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(sweep)"), std::string::npos);
  EXPECT_NE(r.out.find("Tasks that write rows (trainings not counted): 1 of 4 done, 1 failed, 2 pending."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("- badnets seed 1: finetune: failed after 3 attempt(s): disk full"), std::string::npos);
  EXPECT_NE(r.out.find("| badnets | finetune | - | 0/2 |"), std::string::npos) << r.out;
  // CSV keeps the data clean and says the same on stderr.
  const RunResult csv = run_fineprune({"report", sweep, "--format", "csv"}, f.scratch);
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.find("failed"), std::string::npos);
  EXPECT_NE(csv.err.find("1 failed"), std::string::npos) << csv.err;
}

TEST(ReportE2e, UnreadableSweepFileFallsBackToItsSnapshot) {
  const ReportFiles f;
  fs::copy_file(f.results, f.results + ".snapshot");
  fs::resize_file(f.results, fs::file_size(f.results) / 2);  // torn, as by a crash mid-flush
  const RunResult r = f.report({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read instead: its last snapshot"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| badnets | none | - | 3 |"), std::string::npos);
}

// A sweep still running: its master holds the file open for writing, which HDF5 will not let
// another process read, so the report (and `plan`) read its last snapshot and say so.
TEST(ReportE2e, SweepBeingWrittenIsReportedFromItsSnapshot) {
  const ReportFiles f;
  const std::string sweep = f.dir.file("live.h5");
  auto w = ResultWriter::open_sweep(
      sweep, {{"sweep_yaml", yaml({"badnets"}, "[1, 2]", "[none]", "[]")}}, "fp", false);
  w->append_task_outcome(task("k1", "curve", "badnets", 1, "done"), {row("badnets", 1, "none", "none", 0, "k1")}, {});
  w->snapshot();  // as the master does every so often
  w->append_task_outcome(task("k2", "curve", "badnets", 2, "done"), {row("badnets", 2, "none", "none", 0, "k2")}, {});
  const RunResult r = run_fineprune({"report", sweep}, f.scratch);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read instead: its last snapshot"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| badnets | none | - | 1/2 |"), std::string::npos) << r.out;
  w->close();
  const RunResult after = run_fineprune({"report", sweep}, f.scratch);
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out.find("snapshot"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("| badnets | none | - | 2 |"), std::string::npos) << after.out;
}

// The whole path on real data: a tiny experiment of two seeds, its report and its figures.
TEST(ReportE2e, ReportsARealExperiment) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "no dataset at " << kFashionMnistDir;
  const ReportFiles f;
  TinyOptions options;
  options.seeds = "[1, 2]";
  const std::string config = f.dir.file("tiny.yaml");
  write_text(config, tiny_experiment_yaml(options));
  const std::string results = f.dir.file("tiny.h5");
  RunResult r = run_fineprune({"experiment", config, "--out", results, "--quiet"}, f.scratch);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_fineprune({"report", results, "--plot", f.out_dir}, f.scratch);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| badnets | fineprune | rate 0.50 | 2 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| badnets | prune | stop 4pt | 2 |"), std::string::npos) << r.out;
  using namespace plot_colors;
  // Two seeds whose ASR curves may coincide (both at 100%): their thin lines can lie under the mean.
  expect_figure(f.out_dir + "/pruning-curve-badnets.png", {{kClean, kAsr, kStop}, {kCleanSeed}, {kAsrSeed}, {}});
  expect_figure(f.out_dir + "/fineprune-rates-badnets.png", {{kClean, kAsr}, {}, {}, {}});
}

// Bad input: exit 2, a message naming the culprit, an existing --out file untouched, no figures.
struct BadCase {
  const char* name;
  std::vector<std::string> args;  // "{results}", "{text}" and "{missing}" become real paths
  const char* message;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ReportBadInputE2e : public ::testing::TestWithParam<BadCase> {};

TEST_P(ReportBadInputE2e, ExitsTwoNamingItAndWritesNothing) {
  const ReportFiles f;
  const std::string text = f.dir.file("notes.txt");
  write_text(text, "not a result file\n");
  const std::string table = f.out_dir + "/table.md";
  write_text(table, "keep me\n");
  std::vector<std::string> args;
  for (const std::string& a : GetParam().args) {
    args.push_back(a == "{results}" ? f.results : a == "{text}" ? text : a == "{missing}" ? f.dir.file("nope.h5") : a);
  }
  args.insert(args.end(), {"--out", table, "--plot", f.out_dir + "/figures"});
  const RunResult r = run_fineprune(args, f.scratch);
  EXPECT_EQ(r.exit_code, 2) << "stderr:\n" << r.err;
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
  EXPECT_EQ(read_bytes(table), "keep me\n");
  EXPECT_EQ(list_dir(f.out_dir), std::vector<std::string>{"table.md"});
}

const BadCase kBadCases[] = {
    {"MissingFile", {"report", "{missing}"}, "nope.h5: cannot open result file"},
    {"NotOurs", {"report", "{text}"}, "notes.txt: not an HDF5 file"},
    {"UnknownAttack", {"report", "{results}", "--attack", "wanet"}, "--attack: no attack 'wanet' in this file"},
    {"UnknownDefense", {"report", "{results}", "--defense", "prunning"}, "--defense: no defense 'prunning'"},
    {"BadFormat", {"report", "{results}", "--format", "html"}, "--format: unknown format 'html'"},
    {"NoFile", {"report"}, "results is required"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ReportBadInputE2e, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace fineprune::e2e
