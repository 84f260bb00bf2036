// gnuplot scripts for the report's figures.
#include "results/plot_script.h"

#include <cstdio>

namespace fineprune {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string clause(const PlotSeries& s, int index) {
  std::string out = "$s" + std::to_string(index);
  switch (s.style) {
    case SeriesStyle::Lines: out += " using 1:2 with lines"; break;
    case SeriesStyle::ErrorLines: out += " using 1:2:3 with yerrorlines pt " + std::to_string(s.point_type) + " ps 0.8"; break;
    case SeriesStyle::Points: out += " using 1:2 with points pt " + std::to_string(s.point_type) + " ps 1.3"; break;
  }
  out += " lw " + number(s.line_width) + " lc rgb " + quoted(s.color);
  if (s.dashed) out += " dt 2";
  out += s.title.empty() ? " notitle" : " title " + quoted(s.title);
  return out;
}

}  // namespace

int drawn_series(const PlotSpec& plot) {
  int n = 0;
  for (const PlotSeries& s : plot.series) n += s.points.empty() ? 0 : 1;
  return n;
}

std::string gnuplot_script(const PlotSpec& plot, const std::string& png_path) {
  std::string out;
  out += "set terminal pngcairo size 900,660 noenhanced font \"DejaVu Sans,11\"\n";
  out += "set output " + quoted(png_path) + "\n";
  out += "set title " + quoted(plot.title) + "\n";
  out += "set xlabel " + quoted(plot.x_label) + "\n";
  out += "set ylabel " + quoted(plot.y_label) + "\n";
  out += "set xrange [" + number(plot.x_min) + ":" + number(plot.x_max) + "]\n";
  out += "set yrange [" + number(plot.y_min) + ":" + number(plot.y_max) + "]\n";
  out += "set grid lc rgb \"#dddddd\"\n";
  out += "set bmargin at screen 0.27\n";
  out += "set key " + plot.key_position + "\n";
  std::vector<std::string> clauses;
  int index = 0;
  for (const PlotSeries& s : plot.series) {
    if (s.points.empty()) continue;
    out += "$s" + std::to_string(index) + " << EOD\n";
    for (const PlotPoint& p : s.points) {
      out += number(p.x) + " " + number(p.y);
      if (s.style == SeriesStyle::ErrorLines) out += " " + number(p.err);
      out += "\n";
    }
    out += "EOD\n";
    clauses.push_back(clause(s, index));
    ++index;
  }
  if (clauses.empty()) {
    // Nothing to draw: an empty frame still tells the reader so.
    out += "set label 1 \"no data\" at graph 0.5, graph 0.5 center\n";
    out += "plot NaN notitle\n";
    return out;
  }
  out += "plot ";
  for (size_t i = 0; i < clauses.size(); ++i) out += (i ? ", \\\n     " : "") + clauses[i];
  out += "\n";
  return out;
}

}  // namespace fineprune
