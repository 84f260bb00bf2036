// The report's figures as PlotSpecs, and their drawing into PNG files through gnuplot.
#include "results/plots.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "common/file_tree.h"
#include "results/gnuplot_runner.h"

namespace fineprune {

namespace fs = std::filesystem;

namespace {

PlotSeries series(const std::string& title, const char* color, SeriesStyle style, double width,
                  bool dashed = false, int point_type = 7) {
  PlotSeries s;
  s.title = title;
  s.color = color;
  s.style = style;
  s.line_width = width;
  s.dashed = dashed;
  s.point_type = point_type;
  return s;
}

}  // namespace

std::string figure_file_name(const std::string& figure, const std::string& attack) {
  std::string out;
  for (char ch : attack) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '-' || (ch == '.' && !out.empty());
    out += safe ? ch : '_';
  }
  return figure + "-" + out + ".png";
}

namespace {

std::string seeds_text(size_t n) { return std::to_string(n) + (n == 1 ? " seed" : " seeds"); }

// A folder of its own under the system temp dir for the scripts and gnuplot's messages.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "fineprune_plots_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error("--plot: cannot make a temporary folder: " + std::string(std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~ScratchDir() { remove_tree(path_.string()); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path file(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void draw(const PlotSpec& plot, const fs::path& png, const ScratchDir& scratch) {
  const std::string stem = png.stem().string();
  const fs::path tmp_png = png.parent_path() / ("." + png.filename().string() + ".tmp" +
                                                std::to_string(::getpid()));
  const fs::path script = scratch.file(stem + ".gp");
  {
    std::ofstream out(script);
    out << gnuplot_script(plot, tmp_png.string());
    if (!out) throw Error("--plot: cannot write " + script.string());
  }
  try {
    run_gnuplot(script.string(), scratch.file(stem + ".log").string());
    if (!fs::exists(tmp_png) || fs::file_size(tmp_png) == 0) {
      throw Error("--plot: gnuplot wrote no image for " + png.string());
    }
    fs::rename(tmp_png, png);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp_png, ec);
    throw;
  }
}

}  // namespace

PlotSpec pruning_curve_plot(const std::vector<CurveRow>& curves, const std::string& attack,
                            const std::string& model) {
  std::map<int64_t, std::vector<const CurveRow*>> by_seed;
  for (const CurveRow& c : curves) {
    if (c.attack == attack && (model.empty() || c.model == model)) by_seed[c.seed].push_back(&c);
  }
  PlotSpec plot;
  plot.title = (model.empty() ? "" : model + ", ") + attack + ": pruning the last convolutional layer (" + seeds_text(by_seed.size()) + ")";
  plot.x_label = "fraction of channels pruned (in increasing order of mean activation on clean validation data)";
  plot.y_label = "percent of test images";
  plot.y_min = -2;
  plot.y_max = 102;
  std::vector<PlotSeries> clean_seeds, asr_seeds;
  PlotSeries stops_clean = series("stopping point (validation accuracy drop)", plot_colors::kStop, SeriesStyle::Points, 1);
  PlotSeries stops_asr = series("", plot_colors::kStop, SeriesStyle::Points, 1);
  // Mean over seeds at each channel count; all seeds share the layer, hence the x positions.
  std::map<int64_t, std::vector<const CurveRow*>> by_channels;
  for (auto& [seed, rows] : by_seed) {
    std::sort(rows.begin(), rows.end(),
              [](const CurveRow* a, const CurveRow* b) { return a->channels_pruned < b->channels_pruned; });
    PlotSeries c = series(clean_seeds.empty() ? "clean accuracy, each seed" : "", plot_colors::kCleanSeed,
                          SeriesStyle::Lines, 1);
    PlotSeries a = series(asr_seeds.empty() ? "attack success rate, each seed" : "", plot_colors::kAsrSeed,
                          SeriesStyle::Lines, 1);
    for (const CurveRow* r : rows) {
      c.points.push_back({r->fraction, 100 * r->clean_acc, 0});
      a.points.push_back({r->fraction, 100 * r->asr, 0});
      if (r->is_stop != 0) {
        stops_clean.points.push_back({r->fraction, 100 * r->clean_acc, 0});
        stops_asr.points.push_back({r->fraction, 100 * r->asr, 0});
      }
      by_channels[r->channels_pruned].push_back(r);
    }
    clean_seeds.push_back(c);
    asr_seeds.push_back(a);
  }
  const std::string mean_text = " (mean of " + seeds_text(by_seed.size()) + ")";
  PlotSeries clean_mean = series("clean accuracy" + mean_text, plot_colors::kClean, SeriesStyle::Lines, 2.5);
  PlotSeries asr_mean = series("attack success rate" + mean_text, plot_colors::kAsr, SeriesStyle::Lines, 2.5);
  for (const auto& [channels, rows] : by_channels) {
    double x = 0, clean = 0, asr = 0;
    for (const CurveRow* r : rows) {
      x += r->fraction;
      clean += r->clean_acc;
      asr += r->asr;
    }
    const double n = static_cast<double>(rows.size());
    clean_mean.points.push_back({x / n, 100 * clean / n, 0});
    asr_mean.points.push_back({x / n, 100 * asr / n, 0});
  }
  plot.series = clean_seeds;
  plot.series.insert(plot.series.end(), asr_seeds.begin(), asr_seeds.end());
  for (PlotSeries* s : {&clean_mean, &asr_mean, &stops_clean, &stops_asr}) plot.series.push_back(*s);
  return plot;
}

PlotSpec fineprune_rates_plot(const ReportTable& table, const std::string& attack, const std::string& model) {
  PlotSpec plot;
  int seeds = 0;
  PlotSeries fp_clean = series("clean accuracy, fine-pruning", plot_colors::kClean, SeriesStyle::ErrorLines, 2);
  PlotSeries fp_asr = series("attack success rate, fine-pruning", plot_colors::kAsr, SeriesStyle::ErrorLines, 2);
  PlotSeries pr_clean = series("clean accuracy, pruning alone", plot_colors::kCleanPrune, SeriesStyle::Lines, 2, true);
  PlotSeries pr_asr = series("attack success rate, pruning alone", plot_colors::kAsrPrune, SeriesStyle::Lines, 2, true);
  PlotSeries stop_clean = series("clean accuracy, fine-pruning at the stop", plot_colors::kClean,
                                 SeriesStyle::Points, 1, false, 13);
  PlotSeries stop_asr = series("attack success rate, fine-pruning at the stop", plot_colors::kAsr,
                               SeriesStyle::Points, 1, false, 13);
  for (const ReportRow& r : table.rows) {
    if (r.attack != attack || (!model.empty() && r.model != model) || r.n == 0) continue;
    if (r.defense == "fineprune" && r.prune_mode == "rate") {
      seeds = std::max(seeds, r.n);
      fp_clean.points.push_back({r.prune_rate, 100 * r.clean.mean, 100 * r.clean.std});
      fp_asr.points.push_back({r.prune_rate, 100 * r.asr.mean, 100 * r.asr.std});
    } else if (r.defense == "prune" && r.prune_mode == "rate") {
      pr_clean.points.push_back({r.prune_rate, 100 * r.clean.mean, 0});
      pr_asr.points.push_back({r.prune_rate, 100 * r.asr.mean, 0});
    } else if (r.defense == "fineprune" && r.prune_mode == "stop") {
      stop_clean.points.push_back({r.pruned_fraction, 100 * r.clean.mean, 0});
      stop_asr.points.push_back({r.pruned_fraction, 100 * r.asr.mean, 0});
    }
  }
  plot.title = (model.empty() ? "" : model + ", ") + attack + ": after fine-pruning at fixed pruning rates (mean and std over " +
               seeds_text(static_cast<size_t>(seeds)) + ")";
  plot.x_label = "pruning rate (fraction of the last convolutional layer's channels pruned before fine-tuning)";
  plot.y_label = "percent of test images";
  plot.y_min = -2;
  plot.y_max = 102;
  plot.x_min = -0.02;
  plot.x_max = 1.0;
  // With only pruning-alone data there is no fine-pruning figure to draw.
  if (fp_clean.points.empty()) return plot;
  if (stop_clean.points.size() > 1) {  // several stopping thresholds: a point each, at its fraction
    const std::string n = std::to_string(stop_clean.points.size());
    stop_clean.title = "clean accuracy, fine-pruning at each of the " + n + " stops";
    stop_asr.title = "attack success rate, fine-pruning at each of the " + n + " stops";
  }
  plot.series = {fp_clean, fp_asr, pr_clean, pr_asr, stop_clean, stop_asr};
  return plot;
}

std::vector<std::string> write_plots(const ResultFile& file, const ReportTable& table,
                                     const std::vector<std::string>& attacks, const std::string& dir,
                                     std::vector<std::string>& notes) {
  check_gnuplot();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw InputError("--plot: " + dir + ": cannot make the folder" + (ec ? ": " + ec.message() : ""));
  }
  ScratchDir scratch;
  std::vector<std::string> written;
  // One figure per (model, attack) where the file holds several models; else per attack, named
  // as before the model axis.
  const std::vector<std::string> models = table.by_model() ? table.models : std::vector<std::string>{""};
  for (const std::string& model : models) {
    for (const std::string& attack : attacks) {
      const std::string what = model.empty() ? attack : model + "-" + attack;
      const std::string said = model.empty() ? attack : attack + " on model " + model;
      const PlotSpec curve = pruning_curve_plot(file.curves, attack, model);
      if (drawn_series(curve) > 0) {
        const fs::path png = fs::path(dir) / figure_file_name("pruning-curve", what);
        draw(curve, png, scratch);
        written.push_back(png.string());
      } else {
        notes.push_back("no pruning curve for " + said + " in the file: figure skipped");
      }
      const PlotSpec rates = fineprune_rates_plot(table, attack, model);
      if (drawn_series(rates) > 0) {
        const fs::path png = fs::path(dir) / figure_file_name("fineprune-rates", what);
        draw(rates, png, scratch);
        written.push_back(png.string());
      } else {
        notes.push_back("no fine-pruning rows at fixed rates for " + said + ": figure skipped");
      }
    }
  }
  return written;
}

}  // namespace fineprune
