// A figure as data (series of points with their style) and its gnuplot script. Pure text; the
// runner (gnuplot_runner.h) turns scripts into PNG files.
#pragma once

#include <string>
#include <vector>

namespace fineprune {

struct PlotPoint {
  double x = 0, y = 0;
  double err = 0;  // half-height of the error bar (style ErrorLines only)
};

enum class SeriesStyle { Lines, ErrorLines, Points };

struct PlotSeries {
  std::string title;  // the legend entry; empty: not in the legend
  std::string color;  // "#rrggbb"
  SeriesStyle style = SeriesStyle::Lines;
  double line_width = 2;
  bool dashed = false;
  int point_type = 7;  // gnuplot's pt (7 = filled circle) for Points and ErrorLines
  std::vector<PlotPoint> points;
};

struct PlotSpec {
  std::string title;
  std::string x_label, y_label;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 100;
  // gnuplot `set key` placement: by default in two columns under the axes (the script keeps
  // the bottom 27% of the picture for it and the x label), so the legend never hides data.
  std::string key_position = "at screen 0.5, screen 0.15 center top maxrows 3 nobox";
  std::vector<PlotSeries> series;             // drawn in order; empty series are left out
};

// The gnuplot script drawing `plot` into `png_path` with the pngcairo terminal: one inline data
// block ($s0, $s1, ...) per non-empty series and one clause per block in a single `plot`
// command. Text is drawn verbatim (no enhanced-text markup), double quotes in it are escaped.
std::string gnuplot_script(const PlotSpec& plot, const std::string& png_path);

// Non-empty series of a plot, i.e. the data blocks and plot clauses its script holds.
int drawn_series(const PlotSpec& plot);

}  // namespace fineprune
