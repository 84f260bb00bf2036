// The report's figures: per attack, the pruning curve and the scores after fine-pruning against
// the pruning rate. Building a figure (PlotSpec) is pure; write_plots runs gnuplot.
#pragma once

#include <string>
#include <vector>

#include "results/plot_script.h"
#include "results/report_table.h"
#include "results/result_tables.h"

namespace fineprune {

// Series colours, fixed so that readers (and the tests' pixel checks) can tell them apart.
namespace plot_colors {
constexpr const char* kClean = "#1f5fbf";        // clean accuracy, mean / fine-pruning
constexpr const char* kCleanSeed = "#9cbce8";    // clean accuracy, one seed
constexpr const char* kAsr = "#d62728";          // attack success rate, mean / fine-pruning
constexpr const char* kAsrSeed = "#f2a0a0";      // attack success rate, one seed
constexpr const char* kStop = "#000000";         // stopping points
constexpr const char* kCleanPrune = "#17a5b8";   // clean accuracy, pruning alone
constexpr const char* kAsrPrune = "#ff8c00";     // attack success rate, pruning alone
}  // namespace plot_colors

// The pruning curve of one attack from the `curves` rows: clean accuracy and ASR (percent)
// against the fraction of channels pruned; each seed as a thin line, the mean over seeds as a
// thick one, each seed's stopping point as a black dot on both curves. Series, in order: clean
// per seed, ASR per seed, clean mean, ASR mean, stops on clean, stops on ASR. No series at all
// when the file has no curve for the attack.
// `model`: only that model's rows (its label is then in the title); empty: every row.
PlotSpec pruning_curve_plot(const std::vector<CurveRow>& curves, const std::string& attack,
                            const std::string& model = "");

// Clean accuracy and ASR (mean +- std over seeds, percent) after fine-pruning at each fixed rate,
// from the table's fineprune/rate rows, with pruning alone at the same rates dashed and both at
// the stopping point as diamonds in the same colours (at the seeds' mean fraction). Series: fine-pruning clean,
// fine-pruning ASR, pruning clean, pruning ASR, fine-pruning at stop clean, ASR.
PlotSpec fineprune_rates_plot(const ReportTable& table, const std::string& attack, const std::string& model = "");

// "<figure>-<attack>.png", with characters of the attack's name other than letters, digits, '_',
// '-' and a '.' not in first place replaced by '_': attack names come from the file, and a
// figure must land inside its folder whatever they hold.
std::string figure_file_name(const std::string& figure, const std::string& attack);

// Writes <dir>/pruning-curve-<attack>.png and <dir>/fineprune-rates-<attack>.png for each
// attack (named by figure_file_name; where the table holds several models, one figure per model and
// attack, named "<figure>-<model>-<attack>.png") (a figure without data is skipped and named in the returned notes). Creates `dir`.
// Each PNG is drawn under a temporary name and renamed, so a failure leaves old files whole.
// Throws Error when gnuplot is missing or fails. Returns the files written.
std::vector<std::string> write_plots(const ResultFile& file, const ReportTable& table,
                                     const std::vector<std::string>& attacks, const std::string& dir,
                                     std::vector<std::string>& notes);

}  // namespace fineprune
