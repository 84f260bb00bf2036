// The figures as data and as gnuplot scripts: the right series, values and legend entries.
#include <gtest/gtest.h>

#include "report_fixtures.h"
#include "results/plots.h"

namespace fineprune {
namespace {

using namespace report_fixtures;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<CurveRow> three_seed_curves() {
  std::vector<CurveRow> rows;
  for (int64_t seed : {1, 2, 3}) {
    for (const CurveRow& c : curve("badnets", seed, 8, 5)) rows.push_back(c);
  }
  for (const CurveRow& c : curve("other", 1, 4, 2)) rows.push_back(c);
  return rows;
}

TEST(PruningCurvePlot, SeedsAsThinLinesMeanThickStopsMarked) {
  const PlotSpec plot = pruning_curve_plot(three_seed_curves(), "badnets");
  ASSERT_EQ(plot.series.size(), 3u + 3u + 2u + 2u);
  EXPECT_EQ(drawn_series(plot), 10);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(plot.series[i].color, plot_colors::kCleanSeed);
    EXPECT_EQ(plot.series[3 + i].color, plot_colors::kAsrSeed);
    EXPECT_EQ(plot.series[i].points.size(), 9u);
    EXPECT_LT(plot.series[i].line_width, plot.series[6].line_width);
  }
  // Only the first line of each kind is in the legend.
  EXPECT_FALSE(plot.series[0].title.empty());
  EXPECT_TRUE(plot.series[1].title.empty());
  const PlotSeries& clean_mean = plot.series[6];
  EXPECT_EQ(clean_mean.color, plot_colors::kClean);
  EXPECT_EQ(clean_mean.title, "clean accuracy (mean of 3 seeds)");
  // Mean over seeds 1..3 at 0 channels: 0.9 + 0.02.
  EXPECT_NEAR(clean_mean.points.front().y, 92.0, 1e-9);
  EXPECT_NEAR(plot.series[7].points.back().y, 48.0, 1e-9);  // ASR at every channel pruned: 50 - 2 x mean(0, 1, 2)
  const PlotSeries& stops = plot.series[8];
  ASSERT_EQ(stops.points.size(), 3u);  // one per seed
  EXPECT_NEAR(stops.points[0].x, 40.0 / 64.0, 1e-12);
  EXPECT_EQ(stops.style, SeriesStyle::Points);
  EXPECT_NE(plot.title.find("badnets"), std::string::npos);
  EXPECT_NE(plot.x_label.find("fraction of channels pruned"), std::string::npos);
}

TEST(PruningCurvePlot, UnknownAttackHasNothingToDraw) {
  EXPECT_EQ(drawn_series(pruning_curve_plot(three_seed_curves(), "missing")), 0);
  EXPECT_EQ(drawn_series(pruning_curve_plot(three_seed_curves(), "other")), 1 + 1 + 2 + 2);
}

TEST(GnuplotScript, OneDataBlockAndOneClausePerDrawnSeries) {
  PlotSpec plot = pruning_curve_plot(three_seed_curves(), "badnets");
  plot.series.push_back(PlotSeries{});  // empty: left out
  const std::string script = gnuplot_script(plot, "/tmp/x.png");
  EXPECT_EQ(count(script, " << EOD\n"), 10u);
  EXPECT_EQ(count(script, "\nEOD\n"), 10u);
  EXPECT_EQ(count(script, "$s9 using"), 1u);
  EXPECT_EQ(count(script, "$s10"), 0u);
  EXPECT_EQ(count(script, "\" title \""), 5u);  // legend: 2 seed kinds, 2 means, the stops
  EXPECT_EQ(count(script, " notitle"), 5u);
  EXPECT_EQ(count(script, "\nplot "), 1u);
  EXPECT_NE(script.find("set terminal pngcairo"), std::string::npos);
  EXPECT_NE(script.find("set output \"/tmp/x.png\"\n"), std::string::npos);
  // 9 points per seed line: the first block holds exactly them.
  const size_t start = script.find("$s0 << EOD\n") + 11;
  EXPECT_EQ(count(script.substr(start, script.find("EOD", start) - start), "\n"), 9u);
}

TEST(GnuplotScript, QuotesAreEscapedAndEmptyPlotsSayNoData) {
  PlotSpec plot;
  plot.title = "a \"quoted\" title";
  const std::string script = gnuplot_script(plot, "out.png");
  EXPECT_NE(script.find("set title \"a \\\"quoted\\\" title\"\n"), std::string::npos) << script;
  EXPECT_NE(script.find("no data"), std::string::npos);
}

TEST(FinepruneRatesPlot, MeansWithErrorBarsPruningAloneDashedAndStop) {
  ReportTable t;
  for (double rate : {0.0, 0.5, 0.9}) {
    ReportRow fp;
    fp.attack = "badnets";
    fp.defense = "fineprune";
    fp.prune_mode = "rate";
    fp.prune_rate = rate;
    fp.n = 3;
    fp.clean = {3, 0.9 - rate / 10, 0.01};
    fp.asr = {3, 1 - rate, 0.2};
    ReportRow pr = fp;
    pr.defense = "prune";
    t.rows.push_back(fp);
    t.rows.push_back(pr);
  }
  ReportRow stop = t.rows.front();
  stop.prune_mode = "stop";
  stop.prune_rate = 0;
  stop.pruned_fraction = 0.8;
  t.rows.push_back(stop);
  ReportRow pending = t.rows.front();  // a group without rows is not drawn
  pending.prune_rate = 0.7;
  pending.n = 0;
  t.rows.push_back(pending);

  const PlotSpec plot = fineprune_rates_plot(t, "badnets");
  ASSERT_EQ(drawn_series(plot), 6);
  const PlotSeries& fp_asr = plot.series[1];
  EXPECT_EQ(fp_asr.style, SeriesStyle::ErrorLines);
  ASSERT_EQ(fp_asr.points.size(), 3u);
  EXPECT_NEAR(fp_asr.points[1].x, 0.5, 1e-12);
  EXPECT_NEAR(fp_asr.points[1].y, 50.0, 1e-9);
  EXPECT_NEAR(fp_asr.points[1].err, 20.0, 1e-9);
  EXPECT_TRUE(plot.series[2].dashed);
  EXPECT_TRUE(plot.series[3].dashed);
  EXPECT_NEAR(plot.series[4].points.at(0).x, 0.8, 1e-12);
  EXPECT_EQ(plot.series[4].color, plot_colors::kClean);
  EXPECT_EQ(plot.series[5].color, plot_colors::kAsr);
  EXPECT_EQ(plot.series[5].style, SeriesStyle::Points);
  EXPECT_NE(plot.title.find("3 seeds"), std::string::npos);
  EXPECT_EQ(count(gnuplot_script(plot, "x.png"), "yerrorlines"), 2u);
}

TEST(FinepruneRatesPlot, NoFinePruningRatesNoFigure) {
  ReportTable t;
  ReportRow pr;
  pr.attack = "badnets";
  pr.defense = "prune";
  pr.prune_mode = "rate";
  pr.prune_rate = 0.5;
  pr.n = 1;
  t.rows.push_back(pr);
  EXPECT_EQ(drawn_series(fineprune_rates_plot(t, "badnets")), 0);
}

TEST(FigureFileName, StaysInsideItsFolder) {
  EXPECT_EQ(figure_file_name("pruning-curve", "badnets-all_to.all2"), "pruning-curve-badnets-all_to.all2.png");
  EXPECT_EQ(figure_file_name("pruning-curve", "../etc/x y"), "pruning-curve-_._etc_x_y.png");
}

}  // namespace
}  // namespace fineprune
