// Progress line formatting.
#include "orchestrator/progress.h"

#include <cstdio>

namespace fineprune {

double eta_seconds(const ProgressSnapshot& p) {
  if (p.remaining_cost <= 0) return 0;
  if (p.done_cost <= 0 || p.elapsed_s <= 0) return -1;
  return p.remaining_cost * p.elapsed_s / p.done_cost;
}

std::string format_duration(double seconds) {
  if (seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::string progress_line(const ProgressSnapshot& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "progress: %zu/%zu done (%zu resumed), %zu running, %zu failed, %zu blocked, "
                "elapsed %s, ETA %s",
                p.counts.done, p.counts.total, p.resumed, p.counts.running, p.counts.failed,
                p.counts.blocked, format_duration(p.elapsed_s).c_str(),
                format_duration(eta_seconds(p)).c_str());
  return buf;
}

std::string progress_json(const ProgressSnapshot& p, const char* event) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "{\"event\":\"%s\",\"done\":%zu,\"total\":%zu,\"resumed\":%zu,\"running\":%zu,"
                "\"pending\":%zu,\"failed\":%zu,\"blocked\":%zu,\"elapsed_s\":%.3f,\"eta_s\":%.3f}",
                event, p.counts.done, p.counts.total, p.resumed, p.counts.running, p.counts.pending,
                p.counts.failed, p.counts.blocked, p.elapsed_s, eta_seconds(p));
  return buf;
}

}  // namespace fineprune
