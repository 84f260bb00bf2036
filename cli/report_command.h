// `fineprune report <results.h5> [--format md|csv|latex] [--out FILE] [--plot DIR]
//  [--attack NAME] [--defense NAME]`: the paper-style table of a result file and its figures.
#pragma once

#include <string>

namespace fineprune {

struct ReportOptions {
  std::string results_path;
  std::string format = "md";
  std::string out_path;   // empty: stdout
  std::string plot_dir;   // empty: no figures
  std::string attack;     // empty: every attack
  std::string defense;    // empty: every defense
};

// Returns the exit code. Everything is checked (format, file, names) before anything is written;
// the table file is written under a temporary name and renamed, so a failed run leaves an
// existing --out file whole. InputError (exit 2) for bad input, Error (exit 1) when gnuplot is
// missing or fails.
int run_report_command(const ReportOptions& options);

}  // namespace fineprune
