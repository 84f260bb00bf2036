// Runs gnuplot on a script file: the one place that knows how the plotting program is found.
#pragma once

#include <string>

namespace fineprune {

// The gnuplot program: $FINEPRUNE_GNUPLOT if set, else "gnuplot" looked up on PATH.
std::string gnuplot_program();

// Throws Error when gnuplot cannot be run or lacks the pngcairo terminal, with what to install
// (Debian: gnuplot-nox, which scripts/install-deps.sh installs). Call it before writing anything.
void check_gnuplot();

// Runs gnuplot on `script_path`; its output and errors go to `log_path`. Throws Error with the
// program's messages when it fails.
void run_gnuplot(const std::string& script_path, const std::string& log_path);

}  // namespace fineprune
