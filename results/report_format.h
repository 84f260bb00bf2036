// Renders a ReportTable as Markdown, CSV or LaTeX text.
#pragma once

#include <string>
#include <vector>

#include "results/report_table.h"

namespace fineprune {

enum class ReportFormat { Markdown, Csv, Latex };

// "md" | "csv" | "latex" (also "markdown", "tex"); throws InputError naming the option otherwise.
ReportFormat report_format_from_string(const std::string& text);
const std::vector<std::string>& report_format_names();

// Markdown: a title line, the table (accuracies in percent as mean +- std, "n" as found/expected
// where they differ), then what is missing or failed. LaTeX: a booktabs `tabular` (needs
// \usepackage{booktabs}) with the same columns, notes as % comments. CSV: one header line and
// one line per row, raw fractions, no notes (format_report_notes gives them as text).
std::string format_report(const ReportTable& table, ReportFormat format);

// The notes and the missing tasks as plain lines ("" when there is nothing to say).
std::string format_report_notes(const ReportTable& table);

}  // namespace fineprune
