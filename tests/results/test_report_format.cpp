// The report table as Markdown, CSV and LaTeX text, on tables built by hand.
#include <gtest/gtest.h>

#include "common/error.h"
#include "results/report_format.h"

namespace fineprune {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

ReportRow make_row(const std::string& attack, const std::string& defense, const std::string& mode,
                   double rate, int n, int expected) {
  ReportRow r;
  r.attack = attack;
  r.defense = defense;
  r.prune_mode = mode;
  r.prune_rate = rate;
  r.n = n;
  r.n_expected = expected;
  if (n == 0) return r;
  r.clean = {n, 0.91, 0.01};
  r.asr = {n, 0.05, 0.025};
  r.robust = {n, 0.9, 0.0};
  r.pruned_fraction = mode == "none" ? 0 : 0.5;
  if (defense != "none") r.clean_drop = {n, 0.01, 0.005};
  r.wall_s = defense == "none" ? 0 : 12.5;
  return r;
}

ReportTable sample_table() {
  ReportTable t;
  t.source = "out/sweep.h5";
  t.sweep = true;
  t.asr_counts = "non_target";
  t.rows = {make_row("bad_nets", "none", "none", 0, 3, 3), make_row("bad_nets", "fineprune", "rate", 0.5, 2, 3),
            make_row("blended", "finetune", "none", 0, 0, 3)};
  t.tasks_expected = 10;
  t.tasks_done = 7;
  t.missing = {{{"fineprune", "bad_nets", 3, "rate", 0.5}, "failed", 3, "CUDA out of memory"},
               {{"finetune", "blended", 1, "", 0}, "blocked", 0, "training failed: x"},
               {{"finetune", "blended", 2, "", 0}, "pending", 0, ""}};
  t.notes = {"something to know"};
  return t;
}

TEST(ReportFormat, MarkdownRowsShowMeanStdSeedsAndCost) {
  const std::string md = format_report(sample_table(), ReportFormat::Markdown);
  EXPECT_NE(md.find("| attack | defense | setting | n | clean acc % | ASR % | RA % | pruned % | clean drop (pt) | time (s) |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| bad_nets | none | - | 3 | 91.00 ± 1.00 | 5.00 ± 2.50 | 90.00 | 0.0 | - | - |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| bad_nets | fineprune | rate 0.50 | 2/3 | 91.00 ± 1.00 | 5.00 ± 2.50 | 90.00 | 50.0 | 1.00 ± 0.50 | 12.5 |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| blended | finetune | - | 0/3 | - | - | - | - | - | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("not the target"), std::string::npos);
  EXPECT_EQ(count(md, "\n|"), 5u);  // header, rule and three rows
}

TEST(ReportFormat, MarkdownListsWhatIsMissing) {
  const std::string md = format_report(sample_table(), ReportFormat::Markdown);
  EXPECT_NE(md.find("Tasks that write rows (trainings not counted): 7 of 10 done, 1 failed, 1 blocked, 1 pending."), std::string::npos) << md;
  EXPECT_NE(md.find("- bad_nets seed 3: fineprune rate 0.50: failed after 3 attempt(s): CUDA out of memory"),
            std::string::npos) << md;
  EXPECT_NE(md.find("- blended seed 1: finetune: blocked: training failed: x"), std::string::npos) << md;
  EXPECT_NE(md.find("- blended seed 2: finetune: pending\n"), std::string::npos) << md;
  EXPECT_NE(md.find("Note: something to know"), std::string::npos);
}

TEST(ReportFormat, MultiLineErrorsStayOnTheirTasksLine) {
  ReportTable t = sample_table();
  t.missing.front().error = "line one\nline two\r\n";
  EXPECT_NE(format_report_notes(t).find(": line one line two  \n- blended seed 1"), std::string::npos)
      << format_report_notes(t);
}

TEST(ReportFormat, LongMissingListsAreCut) {
  ReportTable t = sample_table();
  t.missing.assign(40, t.missing.back());
  const std::string notes = format_report_notes(t);
  EXPECT_EQ(count(notes, ": pending\n"), 25u);
  EXPECT_NE(notes.find("- ... and 15 more"), std::string::npos);
}

TEST(ReportFormat, CompleteSweepSaysSo) {
  ReportTable t = sample_table();
  t.missing.clear();
  t.notes.clear();
  t.tasks_done = 10;
  EXPECT_EQ(format_report_notes(t), "Tasks that write rows (trainings not counted): 10 of 10 done (complete).\n");
  t.sweep = false;
  EXPECT_EQ(format_report_notes(t), "");
}

TEST(ReportFormat, CsvIsOneHeaderAndOneLinePerRowOfRawFractions) {
  const std::string csv = format_report(sample_table(), ReportFormat::Csv);
  EXPECT_EQ(count(csv, "\n"), 4u);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "attack,defense,prune_mode,prune_rate,stop_drop,n,n_expected,clean_acc_mean,clean_acc_std,asr_mean,"
            "asr_std,robust_acc_mean,robust_acc_std,pruned_fraction,clean_drop_mean,clean_drop_std,"
            "wall_s_mean");
  EXPECT_NE(csv.find("\nbad_nets,none,none,0,0,3,3,0.91,0.01,0.05,0.025,0.9,0,0,,,0\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nbad_nets,fineprune,rate,0.5,0,2,3,0.91,0.01,0.05,0.025,0.9,0,0.5,0.01,0.005,12.5\n"),
            std::string::npos) << csv;
  EXPECT_NE(csv.find("\nblended,finetune,none,0,0,0,3,,,,,,,,,,\n"), std::string::npos) << csv;
  for (const std::string& line : {std::string("bad_nets,none"), std::string("blended,finetune")}) {
    const size_t at = csv.find(line);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(count(csv.substr(at, csv.find('\n', at) - at), ","), 16u) << line;
  }
  // A stop row: its threshold in stop_drop, nothing in prune_rate (a rate is a rate).
  ReportTable stop_table = sample_table();
  ReportRow stop = make_row("bad_nets", "fineprune", "stop", 0, 3, 3);
  stop.stop_drop = 0.04;
  stop_table.rows = {stop};
  const std::string stop_csv = format_report(stop_table, ReportFormat::Csv);
  EXPECT_NE(stop_csv.find("\nbad_nets,fineprune,stop,0,0.04,3,3,"), std::string::npos) << stop_csv;
  EXPECT_NE(format_report(stop_table, ReportFormat::Markdown).find("stop 4pt"), std::string::npos);
  EXPECT_EQ(csv.find("failed"), std::string::npos);  // notes stay out of the data
}

TEST(ReportFormat, LatexEscapesNamesAndKeepsNotesAsComments) {
  const std::string tex = format_report(sample_table(), ReportFormat::Latex);
  EXPECT_NE(tex.find("\\begin{tabular}{lllrrrrrrr}"), std::string::npos);
  EXPECT_NE(tex.find("bad\\_nets & fineprune & rate 0.50 & 2/3 & 91.00 $\\pm$ 1.00 & 5.00 $\\pm$ 2.50"),
            std::string::npos) << tex;
  EXPECT_EQ(tex.find("bad_nets &"), std::string::npos);
  EXPECT_NE(tex.find("\\bottomrule\n\\end{tabular}\n"), std::string::npos);
  EXPECT_NE(tex.find("% - blended seed 2: finetune: pending\n"), std::string::npos) << tex;
  EXPECT_EQ(count(tex, "\\midrule"), 2u);  // under the header and between the two attacks
}

TEST(ReportFormat, FormatNamesParseAndUnknownIsInputError) {
  EXPECT_EQ(report_format_from_string("md"), ReportFormat::Markdown);
  EXPECT_EQ(report_format_from_string("csv"), ReportFormat::Csv);
  EXPECT_EQ(report_format_from_string("latex"), ReportFormat::Latex);
  try {
    report_format_from_string("html");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--format: unknown format 'html' (known: md, csv, latex)"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace fineprune
