// The `report` subcommand: reads a result file, prints or writes the table, draws the figures.
#include "cli/report_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "common/config.h"
#include "common/error.h"
#include "common/file_lock.h"
#include "orchestrator/sharding.h"
#include "common/sweep_expansion.h"
#include "results/plots.h"
#include "results/report_format.h"
#include "results/report_table.h"
#include "results/result_tables.h"

namespace fineprune {

namespace fs = std::filesystem;

namespace {

// The (model, attack, seed) triples of a shard's file (root attribute "shard" = "I/K"), by the
// split `fineprune run --shard I/K` made; nothing for a whole sweep or a file whose YAML does not
// parse.
std::optional<std::set<std::tuple<std::string, std::string, int64_t>>> shard_pairs(const ResultFile& file,
                                                                                   const std::string& source) {
  const auto shard_text = file.attributes.find("shard");
  const auto yaml = file.attributes.find("sweep_yaml");
  if (shard_text == file.attributes.end() || shard_text->second == "all" || yaml == file.attributes.end()) {
    return std::nullopt;
  }
  try {
    const ExperimentSpec spec = parse_experiment_spec(yaml->second, source + " (attribute sweep_yaml)");
    const Shard shard = parse_shard(shard_text->second, source + " (attribute shard)");
    std::set<std::tuple<std::string, std::string, int64_t>> pairs;
    for (const Task& t : shard_tasks(expand_sweep(spec, FINEPRUNE_VERSION), shard)) {
      pairs.insert({t.model, t.attack, t.seed});
    }
    return pairs;
  } catch (const InputError&) {
    return std::nullopt;  // build_report notes an unreadable YAML itself
  }
}

void check_out_path(const std::string& out) {
  const fs::path p(out);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : ".";
  if (!fs::is_directory(dir)) throw InputError("--out: " + out + ": folder " + dir.string() + " does not exist");
  if (fs::is_directory(p)) throw InputError("--out: " + out + ": is a folder");
}

void write_atomically(const std::string& out, const std::string& text) {
  const std::string tmp = out + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.close();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IoError(out, "cannot write the report");
    }
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(out, "cannot write the report: " + ec.message());
  }
}

}  // namespace

int run_report_command(const ReportOptions& options) {
  const ReportFormat format = report_format_from_string(options.format);
  // A path that a fineprune writer uses (run, experiment and merge leave <out>.lock beside
  // their output) is locked as they lock it, so a report never replaces a file a run is
  // writing; a plain report file gets no lock file of its own.
  std::optional<FileLock> out_lock;
  if (!options.out_path.empty()) {
    check_out_path(options.out_path);
    if (fs::exists(options.out_path + ".lock")) {
      out_lock.emplace(options.out_path + ".lock", options.out_path, this_process_description());
    }
  }
  if (!options.plot_dir.empty() && fs::exists(options.plot_dir) && !fs::is_directory(options.plot_dir)) {
    throw InputError("--plot: " + options.plot_dir + ": exists and is not a folder");
  }
  std::vector<std::string> read_notes;
  // A sweep's master may be writing the file right now, or a crash may have torn it.
  const ResultFile file = read_result_file_or_snapshot(options.results_path, read_notes);
  ReportFilter filter{options.attack, options.defense, shard_pairs(file, options.results_path)};
  ReportTable table = build_report(file, options.results_path, filter);
  table.notes.insert(table.notes.begin(), read_notes.begin(), read_notes.end());

  if (!options.plot_dir.empty()) {
    std::vector<std::string> plot_notes;
    const std::vector<std::string> written =
        write_plots(file, table, table_attacks(table), options.plot_dir, plot_notes);
    for (const std::string& note : plot_notes) std::cerr << "fineprune report: " << note << "\n";
    for (const std::string& png : written) std::cerr << "fineprune report: wrote " << png << "\n";
  }

  const std::string text = format_report(table, format);
  if (format == ReportFormat::Csv) {
    // CSV stays pure data; what is missing goes to the terminal.
    const std::string notes = format_report_notes(table);
    if (!notes.empty()) std::cerr << notes;
  }
  if (options.out_path.empty()) {
    std::cout << text << std::flush;
  } else {
    write_atomically(options.out_path, text);
    std::cerr << "fineprune report: wrote " << options.out_path << "\n";
  }
  return kExitOk;
}

}  // namespace fineprune
