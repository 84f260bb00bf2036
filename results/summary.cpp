// Seed aggregation for the printed summary.
#include "results/summary.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace fineprune {

namespace {

void mean_std(const std::vector<double>& v, double& mean, double& sd) {
  mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
}

}  // namespace

std::vector<SummaryRow> summarise(const std::vector<ResultRow>& rows) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, double, double>;
  std::vector<Key> order;
  std::map<Key, std::vector<const ResultRow*>> groups;
  for (const ResultRow& r : rows) {
    // Stop-mode rows reach different fractions per seed: grouped by their threshold.
    const Key key{r.model, r.attack, r.defense, r.prune_mode, r.prune_mode == "rate" ? r.prune_rate : 0.0,
                  r.prune_mode == "stop" ? r.stop_drop : 0.0};
    if (groups.find(key) == groups.end()) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::vector<SummaryRow> out;
  for (const Key& key : order) {
    const auto& g = groups[key];
    SummaryRow s;
    std::tie(s.model, s.attack, s.defense, s.prune_mode, s.prune_rate, s.stop_drop) = key;
    s.n = static_cast<int>(g.size());
    std::vector<double> clean, asr, robust, frac;
    for (const ResultRow* r : g) {
      clean.push_back(r->clean_acc);
      asr.push_back(r->asr);
      robust.push_back(r->robust_acc);
      frac.push_back(r->total_channels > 0 ? static_cast<double>(r->pruned_channels) /
                                                 static_cast<double>(r->total_channels)
                                           : 0.0);
    }
    double unused = 0;
    mean_std(clean, s.clean_mean, s.clean_std);
    mean_std(asr, s.asr_mean, s.asr_std);
    mean_std(robust, s.robust_mean, unused);
    mean_std(frac, s.pruned_fraction_mean, unused);
    out.push_back(s);
  }
  return out;
}

std::string format_summary(const std::vector<SummaryRow>& rows) {
  std::string out;
  char line[320];
  bool by_model = false;
  for (const SummaryRow& s : rows) by_model = by_model || s.model != rows.front().model;
  if (by_model) out += std::string(line, static_cast<size_t>(std::snprintf(line, sizeof line, "%-16s ", "model")));
  std::snprintf(line, sizeof line, "%-18s %-10s %-10s %3s %17s %17s %8s %8s\n", "attack", "defense",
                "setting", "n", "clean acc %", "ASR %", "RA %", "pruned");
  out += line;
  for (const SummaryRow& s : rows) {
    char setting[32];
    if (s.prune_mode == "rate") {
      std::snprintf(setting, sizeof setting, "rate %.2f", s.prune_rate);
    } else if (s.prune_mode == "stop" && s.stop_drop > 0) {
      std::snprintf(setting, sizeof setting, "stop %.3gpt", 100 * s.stop_drop);
    } else {
      std::snprintf(setting, sizeof setting, "%s", s.prune_mode.c_str());
    }
    if (by_model) out += std::string(line, static_cast<size_t>(std::snprintf(line, sizeof line, "%-16s ", s.model.c_str())));
    std::snprintf(line, sizeof line, "%-18s %-10s %-10s %3d %9.2f +- %5.2f %9.2f +- %5.2f %8.2f %7.1f%%\n",
                  s.attack.c_str(), s.defense.c_str(), setting, s.n, 100 * s.clean_mean,
                  100 * s.clean_std, 100 * s.asr_mean, 100 * s.asr_std, 100 * s.robust_mean,
                  100 * s.pruned_fraction_mean);
    out += line;
  }
  return out;
}

}  // namespace fineprune
