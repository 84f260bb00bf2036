// Merging the result files of one sweep (contract in merge.h).
#include "results/merge.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include "common/error.h"
#include "common/file_lock.h"
#include "common/shard.h"
#include "results/file_ops.h"
#include "results/result_tables.h"

namespace fineprune {

namespace {

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

std::string fingerprint_of(const ResultFile& file, const std::string& path) {
  const auto fp = file.attributes.find(kFingerprintAttribute);
  if (fp == file.attributes.end() || fp->second.empty()) {
    throw InputError(path + ": no sweep_fingerprint attribute: not written by `fineprune run`, "
                            "so it cannot be matched with the other shards");
  }
  return fp->second;
}

// The shards a set of inputs should hold: refuses inputs split K ways and L ways, and (unless
// `partial`) a set of shard files that lacks some of the K.
void check_shard_set(const std::vector<ResultFile>& files, const std::vector<std::string>& inputs, bool partial) {
  int count = 0;
  std::string count_from;
  std::set<int> indices;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto shard = files[i].attributes.find("shard");
    if (shard == files[i].attributes.end() || shard->second == "all") return;  // a whole run: any set is fine
    const Shard s = parse_shard(shard->second, inputs[i] + ": attribute shard");
    if (count != 0 && s.count != count) {
      throw InputError(inputs[i] + ": shard " + s.text() + " of a sweep split " + std::to_string(s.count) +
                       " ways, but " + count_from + " was split " + std::to_string(count) + " ways");
    }
    count = s.count;
    count_from = inputs[i];
    indices.insert(s.index);
  }
  std::string missing;
  for (int index = 0; index < count; ++index) {
    if (indices.count(index) == 0) missing += (missing.empty() ? "" : ", ") + std::to_string(index);
  }
  if (!missing.empty() && !partial) {
    throw InputError("shards " + missing + " of " + std::to_string(count) +
                     " are missing from the inputs (the table would lack their tasks); add their files, "
                     "or pass --partial to merge what is there");
  }
}

// The latest tasks row of each key in one file.
std::map<std::string, const TaskRow*> latest_rows(const ResultFile& file) {
  std::map<std::string, const TaskRow*> latest;
  for (const TaskRow& row : file.tasks) latest[row.key] = &row;
  return latest;
}

}  // namespace

MergeSummary merge_result_files(const std::string& out, const std::vector<std::string>& inputs, bool partial) {
  if (inputs.empty()) throw InputError(out + ": no input files to merge");
  // Before the output is looked at: a sweep or another merge writing it holds this lock.
  const FileLock lock(out + ".lock", out, this_process_description());
  if (exists(out)) {
    throw InputError(out + ": already exists; merge writes a new file (remove it or choose another name)");
  }
  std::vector<ResultFile> files;
  for (const std::string& path : inputs) {
    if (path == out) throw InputError(path + ": is both the output and an input");
    files.push_back(read_result_file(path));
    const std::string fp = fingerprint_of(files.back(), path);
    const std::string first = fingerprint_of(files.front(), inputs.front());
    if (fp != first) {
      throw InputError(path + ": written by another sweep than " + inputs.front() + " (sweep_fingerprint " + fp +
                       ", not " + first + "); merge only the shards of one sweep");
    }
    // Task keys hold the program version: shards of two versions would give each cell twice.
    const auto version = files.back().attributes.find(kVersionAttribute);
    const auto first_version = files.front().attributes.find(kVersionAttribute);
    if (version != files.back().attributes.end() && first_version != files.front().attributes.end() &&
        version->second != first_version->second) {
      throw InputError(path + ": written by fineprune " + version->second + ", " + inputs.front() + " by " +
                       first_version->second + "; their task keys differ, so merge shards of one version");
    }
  }
  check_shard_set(files, inputs, partial);

  // Which input supplies each key: the first where it is done, else the last that has it.
  std::map<std::string, size_t> done_in, other_in;
  MergeSummary summary;
  summary.inputs = inputs.size();
  for (size_t i = 0; i < files.size(); ++i) {
    for (const auto& [key, row] : latest_rows(files[i])) {
      if (row->status == "done") {
        if (!done_in.emplace(key, i).second) ++summary.duplicate_keys;
      } else {
        other_in[key] = i;
      }
    }
  }
  for (const auto& [key, i] : done_in) other_in.erase(key);
  summary.done_tasks = done_in.size();
  summary.other_tasks = other_in.size();

  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
  std::vector<TaskRow> tasks;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto from_here = [&](const std::string& key) {
      const auto d = done_in.find(key);
      return d != done_in.end() && d->second == i;
    };
    for (const ResultRow& row : files[i].results) {
      if (from_here(row.key)) results.push_back(row);
    }
    for (const CurveRow& row : files[i].curves) {
      if (from_here(row.key)) curves.push_back(row);
    }
    for (const auto& [key, row] : latest_rows(files[i])) {
      const auto o = other_in.find(key);
      if ((row->status == "done" && from_here(key)) || (o != other_in.end() && o->second == i)) {
        tasks.push_back(*row);
      }
    }
  }
  summary.results = results.size();
  summary.curves = curves.size();

  std::map<std::string, std::string> attributes = files.front().attributes;
  attributes.erase("schema");  // create() writes the current one
  attributes.erase("shard");
  std::string merged_from;
  for (const std::string& path : inputs) merged_from += (merged_from.empty() ? "" : "\n") + path;
  attributes["merged_from"] = merged_from;

  const std::string tmp = out + ".merge.tmp";
  try {
    auto writer = ResultWriter::create(tmp, attributes);
    writer->append_results(results);
    writer->append_curve(curves);
    writer->append_tasks(tasks);
    writer->close();
    results_detail::replace_file(tmp, out);
  } catch (...) {
    results_detail::remove_quietly(tmp);
    throw;
  }
  return summary;
}

}  // namespace fineprune
