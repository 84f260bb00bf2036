// Markdown, CSV and LaTeX renderings of the report table.
#include "results/report_format.h"

#include <cstdio>
#include <map>

#include "common/error.h"

namespace fineprune {

namespace {

// Lines of missing tasks listed before "... and N more".
constexpr size_t kMaxMissingListed = 25;

std::string printf_string(const char* format, double a, double b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

std::string setting_text(const ReportRow& r) {
  if (r.prune_mode == "rate") return printf_string("rate %.2f", r.prune_rate);
  // The threshold in points of validation accuracy ("stop 4pt": no character LaTeX or CSV treats apart).
  if (r.prune_mode == "stop") return r.stop_drop > 0 ? printf_string("stop %.3gpt", 100 * r.stop_drop) : "stop";
  return "-";
}

std::string n_text(const ReportRow& r) {
  if (r.n_expected > 0 && r.n != r.n_expected) {
    return std::to_string(r.n) + "/" + std::to_string(r.n_expected);
  }
  return std::to_string(r.n);
}

// Cells shared by Markdown and LaTeX; `pm` is the plus-minus sign of the format.
struct Cells {
  std::string clean, asr, robust, pruned, drop, time;
};

Cells cells(const ReportRow& r, const std::string& pm) {
  Cells c{"-", "-", "-", "-", "-", "-"};
  if (r.n == 0) return c;
  c.clean = printf_string("%.2f", 100 * r.clean.mean) + pm + printf_string("%.2f", 100 * r.clean.std);
  c.asr = printf_string("%.2f", 100 * r.asr.mean) + pm + printf_string("%.2f", 100 * r.asr.std);
  c.robust = printf_string("%.2f", 100 * r.robust.mean);
  c.pruned = printf_string("%.1f", 100 * r.pruned_fraction);
  if (r.defense != "none") {
    if (r.clean_drop.n > 0) {
      c.drop = printf_string("%.2f", 100 * r.clean_drop.mean) + pm +
               printf_string("%.2f", 100 * r.clean_drop.std);
    }
    c.time = printf_string("%.1f", r.wall_s);
  }
  return c;
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '_': case '&': case '%': case '#': case '$': case '{': case '}':
        out += '\\';
        out += ch;
        break;
      case '\\': out += "\\textbackslash{}"; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string csv_number(double v) { return printf_string("%.6g", v); }

std::string asr_sentence(const ReportTable& t) {
  if (t.asr_counts == "all") return "ASR counts every triggered test image.";
  if (t.asr_counts == "non_target") return "ASR counts triggered test images whose true label is not the target.";
  return "";
}

std::string markdown(const ReportTable& t) {
  std::string out = "Results of `" + t.source + "` (" +
                    (t.sweep ? "sweep" : "experiment") + "). Mean ± std over seeds (n). " +
                    asr_sentence(t) +
                    " Pruned: channels of the last conv layer (clp, anp: of every layer they prune). Cost: "
                    "clean-accuracy drop against the "
                    "undefended model (points) and the defense's wall time.\n\n";
  // The model column only where the file holds more than one model.
  const bool by_model = t.by_model();
  out += std::string(by_model ? "| model " : "") +
         "| attack | defense | setting | n | clean acc % | ASR % | RA % | pruned % | clean drop (pt) | time (s) |\n";
  out += std::string(by_model ? "|---" : "") + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const ReportRow& r : t.rows) {
    const Cells c = cells(r, " ± ");
    out += (by_model ? "| " + r.model + " " : std::string()) + "| " + r.attack + " | " + r.defense + " | " + setting_text(r) + " | " + n_text(r) + " | " +
           c.clean + " | " + c.asr + " | " + c.robust + " | " + c.pruned + " | " + c.drop + " | " +
           c.time + " |\n";
  }
  const std::string notes = format_report_notes(t);
  if (!notes.empty()) out += "\n" + notes;
  return out;
}

std::string csv(const ReportTable& t) {
  const bool by_model = t.by_model();
  std::string out = std::string(by_model ? "model," : "") +
      "attack,defense,prune_mode,prune_rate,stop_drop,n,n_expected,clean_acc_mean,clean_acc_std,asr_mean,"
      "asr_std,robust_acc_mean,robust_acc_std,pruned_fraction,clean_drop_mean,clean_drop_std,"
      "wall_s_mean\n";
  for (const ReportRow& r : t.rows) {
    if (by_model) out += csv_field(r.model) + ",";
    out += csv_field(r.attack) + "," + csv_field(r.defense) + "," + r.prune_mode + "," +
           csv_number(r.prune_rate) + "," + csv_number(r.stop_drop) + "," + std::to_string(r.n) + "," + std::to_string(r.n_expected);
    if (r.n == 0) {
      out += ",,,,,,,,,,\n";
      continue;
    }
    for (double v : {r.clean.mean, r.clean.std, r.asr.mean, r.asr.std, r.robust.mean, r.robust.std,
                     r.pruned_fraction}) {
      out += "," + csv_number(v);
    }
    out += r.clean_drop.n > 0 ? "," + csv_number(r.clean_drop.mean) + "," + csv_number(r.clean_drop.std)
                              : std::string(",,");
    out += "," + csv_number(r.wall_s) + "\n";
  }
  return out;
}

std::string latex(const ReportTable& t) {
  std::string out = "% fineprune report of " + t.source + "; needs \\usepackage{booktabs}\n";
  out += "% mean $\\pm$ std over seeds (n). " + asr_sentence(t) + "\n";
  const bool by_model = t.by_model();
  out += std::string("\\begin{tabular}{") + (by_model ? "l" : "") + "lllrrrrrrr}\n\\toprule\n";
  out += std::string(by_model ? "model & " : "") + "attack & defense & setting & $n$ & clean acc (\\%) & ASR (\\%) & RA (\\%) & pruned (\\%) & "
         "$\\Delta$ clean (pt) & time (s) \\\\\n\\midrule\n";
  std::string previous_group;
  for (const ReportRow& r : t.rows) {
    const std::string group = r.model + "\n" + r.attack;
    if (!previous_group.empty() && group != previous_group) out += "\\midrule\n";
    previous_group = group;
    const Cells c = cells(r, " $\\pm$ ");
    out += (by_model ? latex_escape(r.model) + " & " : std::string()) + latex_escape(r.attack) + " & " + r.defense + " & " + setting_text(r) + " & " + n_text(r) +
           " & " + c.clean + " & " + c.asr + " & " + c.robust + " & " + c.pruned + " & " + c.drop +
           " & " + c.time + " \\\\\n";
  }
  out += "\\bottomrule\n\\end{tabular}\n";
  const std::string notes = format_report_notes(t);
  size_t start = 0;
  while (start < notes.size()) {
    const size_t end = notes.find('\n', start);
    out += "% " + notes.substr(start, end - start) + "\n";
    start = end == std::string::npos ? notes.size() : end + 1;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& report_format_names() {
  static const std::vector<std::string> names = {"md", "csv", "latex"};
  return names;
}

ReportFormat report_format_from_string(const std::string& text) {
  if (text == "md" || text == "markdown") return ReportFormat::Markdown;
  if (text == "csv") return ReportFormat::Csv;
  if (text == "latex" || text == "tex") return ReportFormat::Latex;
  throw InputError("--format: unknown format '" + text + "' (known: md, csv, latex)");
}

std::string format_report(const ReportTable& table, ReportFormat format) {
  switch (format) {
    case ReportFormat::Markdown: return markdown(table);
    case ReportFormat::Csv: return csv(table);
    case ReportFormat::Latex: return latex(table);
  }
  return "";
}

std::string format_report_notes(const ReportTable& t) {
  std::string out;
  if (t.sweep && t.tasks_expected > 0) {
    std::map<std::string, int> by_status;
    for (const MissingTask& m : t.missing) ++by_status[m.status];
    // Trainings write no rows of their own (their failure shows as blocked tasks), so they are not
    // counted: say so, since `fineprune run` counts them.
    out += "Tasks that write rows (trainings not counted): " + std::to_string(t.tasks_done) + " of " +
           std::to_string(t.tasks_expected) + " done";
    for (const char* s : {"failed", "blocked", "pending"}) {
      if (by_status[s] > 0) out += ", " + std::to_string(by_status[s]) + " " + s;
    }
    out += t.missing.empty() ? " (complete).\n" : ".\n";
  }
  for (size_t i = 0; i < t.missing.size() && i < kMaxMissingListed; ++i) {
    const MissingTask& m = t.missing[i];
    out += "- " + describe_task(m.task, t.by_model()) + ": " + m.status;
    if (m.status == "failed") out += " after " + std::to_string(m.attempts) + " attempt(s)";
    if (!m.error.empty()) {
      std::string error = m.error;  // one line per task, whatever the message holds
      for (char& ch : error) ch = ch == '\n' || ch == '\r' ? ' ' : ch;
      out += ": " + error;
    }
    out += "\n";
  }
  if (t.missing.size() > kMaxMissingListed) {
    out += "- ... and " + std::to_string(t.missing.size() - kMaxMissingListed) + " more\n";
  }
  for (const std::string& note : t.notes) out += "Note: " + note + "\n";
  return out;
}

}  // namespace fineprune
