// The sweep master loop.
#include "orchestrator/master.h"

#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>

#include "common/config.h"
#include "common/error.h"
#include "common/process_cpu.h"
#include "common/stop_request.h"
#include "messaging/mpi_channel.h"
#include "orchestrator/progress.h"
#include "messaging/protocol.h"
#include "orchestrator/scheduler.h"
#include "common/task_key.h"
#include "results/result_tables.h"

namespace fineprune {

namespace {

// ", master CPU 1.2 s (0.3% of one core)": the master's own CPU time since the sweep loop
// started (`cpu_at_start_s`), so that a sweep's log shows that dispatching costs the workers
// nothing. Start-up (MPI, reading the sweep) is not counted: it would swamp a short run's share.
std::string master_cpu_note(double cpu_at_start_s, double elapsed_s) {
  const double cpu_s = process_cpu_seconds() - cpu_at_start_s;
  char text[96];
  std::snprintf(text, sizeof text, ", master CPU %.1f s (%.1f%% of one core)", cpu_s,
                elapsed_s > 0 ? 100.0 * cpu_s / elapsed_s : 0.0);
  return text;
}

using Clock = std::chrono::steady_clock;

TaskRow task_row(const Task& t, const char* status, int attempts, int worker, const std::string& host,
                 double wall_s, const std::string& error) {
  TaskRow row;
  row.key = t.key;
  row.kind = task_kind_name(t);
  row.attack = t.attack;
  row.model = t.model;
  row.seed = t.seed;
  row.prune_mode = t.prune_mode;
  row.prune_rate = t.prune_rate;
  row.stop_drop = t.stop_drop;
  row.status = status;
  row.attempts = attempts;
  row.worker = worker;
  row.host = host.substr(0, kNameLength - 1);  // a name column; long cluster host names are cut
  row.wall_s = wall_s;
  row.error = error;
  return row;
}

void stop_all(const std::vector<int>& leaders) {
  for (int rank : leaders) send_text(MPI_COMM_WORLD, rank, kTagStop, "");
}

class Master {
 public:
  Master(const ExperimentSpec& spec, const std::vector<Task>& tasks, const std::vector<int>& leaders,
         const MasterOptions& options)
      : spec_(spec), leaders_(leaders), options_(options), scheduler_(tasks, options.max_attempts) {
    for (size_t g = 0; g < leaders.size(); ++g) group_of_rank_[leaders[g]] = static_cast<int>(g);
  }

  int run() {
    start_ = Clock::now();
    cpu_at_start_s_ = process_cpu_seconds();
    last_progress_ = start_;
    size_t stopped = 0;
    Backoff backoff;
    while (stopped < leaders_.size()) {
      bool progressed = false;
      while (auto message = try_receive(MPI_COMM_WORLD, MPI_ANY_SOURCE)) {
        handle(*message);
        progressed = true;
      }
      if (!stopping_ && stop_requested()) begin_stop();
      stopped += dispatch();
      report_progress(false);
      if (progressed) backoff.reset(); else backoff.sleep();
    }
    writer_->close();
    const bool interrupted = stopping_ && !scheduler_.finished();
    report_progress(true, interrupted);
    if (interrupted) {
      log("sweep interrupted: " + std::to_string(scheduler_.counts().pending) +
          " tasks left; run the same command again to resume");
      return kExitInterrupted;
    }
    const SchedulerCounts c = scheduler_.counts();
    return c.failed == 0 && c.blocked == 0 ? kExitOk : kExitFailure;
  }

  // Closes the result file at once (HDF5's errors dropped), for an abort.
  void close_output() { writer_.reset(); }

  // Opens (or resumes) the result file; on an error every leader is stopped before it is passed
  // on, so that no worker waits for ever.
  void open_output() {
    try {
      std::map<std::string, std::string> attributes = options_.attributes;
      attributes["sweep_yaml"] = spec_.source_text;
      attributes["sweep_file"] = spec_.source_file;
      attributes[kVersionAttribute] = FINEPRUNE_VERSION;
      attributes["asr_counts"] = spec_.asr_counts;
      attributes["shard"] = options_.shard;
      writer_ = ResultWriter::open_sweep(options_.out_path, attributes, sweep_fingerprint(spec_), options_.fresh);
      for (const std::string& key : writer_->done_keys()) {
        if (scheduler_.contains(key) && scheduler_.status(key) != TaskStatus::Done) {
          scheduler_.mark_done(key);
        }
      }
      resumed_ = scheduler_.counts().done;
      if (writer_->orphan_rows_removed() > 0) {
        log("resume: removed " + std::to_string(writer_->orphan_rows_removed()) +
            " rows of tasks that had not finished");
      }
    } catch (...) {
      stop_all(leaders_);
      throw;
    }
  }

 private:
  void handle(const Message& m) {
    const auto group = group_of_rank_.find(m.source);
    if (group == group_of_rank_.end()) {
      throw Error("master: message with tag " + std::to_string(m.tag) + " from rank " +
                  std::to_string(m.source) + ", which leads no worker group");
    }
    const int g = group->second;
    switch (m.tag) {
      case kTagRequest:
        idle_.push_back(g);
        break;
      case kTagDone: {
        const TaskOutcome o = decode_outcome(m.text);
        if (scheduler_.on_done(o.key, g)) {
          const Task& t = scheduler_.task(o.key);
          const int attempts = scheduler_.attempts(o.key);
          // A retried task keeps why its last failed attempt failed (the tasks table's only trace).
          const std::string& before = scheduler_.last_error(o.key);
          std::string note =
              attempts > 1 && !before.empty() ? "attempt " + std::to_string(attempts - 1) + " failed: " + before : "";
          if (!o.note.empty()) {
            // Said and kept: the task succeeded, but something it found had to be repaired.
            log("task " + describe(o.key) + ": " + o.note);
            note = note.empty() ? o.note : o.note + "; " + note;
          }
          TaskRow row = task_row(t, "done", attempts, leader_rank(g), o.host, o.wall_s, note);
          row.model_digest = o.model_digest;
          writer_->append_task_outcome(row, o.results, o.curves);
          done_cost_ += t.cost;
          ++outcomes_written_;
          if (options_.fail_after_outcomes > 0 && outcomes_written_ == options_.fail_after_outcomes) {
            throw Error("injected master failure (test option) after " + std::to_string(outcomes_written_) +
                        " outcomes");
          }
        }
        break;
      }
      case kTagFailed: {
        const TaskFailure f = decode_failure(m.text);
        log("task " + describe(f.key) + " failed on " + f.host + " (group " + std::to_string(g) +
            ", attempt " + std::to_string(scheduler_.attempts(f.key)) + "): " + f.message);
        record(scheduler_.on_failed(f.key, g, f.message), g, f.host);
        break;
      }
      case kTagInterrupted: {
        const std::string& key = m.text;
        if (scheduler_.contains(key) && scheduler_.on_interrupted(key, g)) {
          log("task " + describe(key) + " interrupted on group " + std::to_string(g) +
              "; it continues from its saved state in the next run");
        }
        // Its rank got the stop signal: the job is going down, whether or not rank 0 saw it yet.
        if (!stopping_) begin_stop();
        break;
      }
      default:
        throw Error("master: unknown message tag " + std::to_string(m.tag) + " from rank " +
                    std::to_string(m.source));
    }
  }

  // Writes the final outcome of tasks that failed for good and of those they block.
  void record(const FailureOutcome& outcome, int group, const std::string& host) {
    std::vector<TaskRow> rows;
    for (const std::string& key : outcome.failed) {
      rows.push_back(task_row(scheduler_.task(key), "failed", scheduler_.attempts(key), leader_rank(group), host, 0,
                              scheduler_.last_error(key)));
    }
    for (const std::string& key : outcome.blocked) {
      rows.push_back(task_row(scheduler_.task(key), "blocked", 0, -1, "", 0,
                              "a task it depends on failed"));
    }
    if (!rows.empty()) {
      writer_->append_tasks(rows);
      writer_->flush();
    }
  }

  void begin_stop() {
    stopping_ = true;
    request_stop();  // one flag for the whole process
    log("stop requested: no new tasks; waiting for " + std::to_string(scheduler_.counts().running) +
        " running tasks to finish or save their state");
  }

  // Answers idle leaders: a task, or stop when nothing is left (or a stop was requested).
  // Returns how many were stopped.
  size_t dispatch() {
    size_t stopped = 0;
    for (auto it = idle_.begin(); it != idle_.end();) {
      const int g = *it;
      if (stopping_) {
        send_text(MPI_COMM_WORLD, leaders_[static_cast<size_t>(g)], kTagStop, "");
        it = idle_.erase(it);
        ++stopped;
      } else if (auto key = scheduler_.next_for(g)) {
        const Assignment a{scheduler_.task(*key), scheduler_.attempts(*key)};
        send_text(MPI_COMM_WORLD, leaders_[static_cast<size_t>(g)], kTagAssign, encode_assignment(a));
        it = idle_.erase(it);
      } else if (scheduler_.finished()) {
        send_text(MPI_COMM_WORLD, leaders_[static_cast<size_t>(g)], kTagStop, "");
        it = idle_.erase(it);
        ++stopped;
      } else {
        ++it;
      }
    }
    return stopped;
  }

  void report_progress(bool final, bool interrupted = false) {
    const auto now = Clock::now();
    if (!final && std::chrono::duration<double>(now - last_progress_).count() < options_.progress_interval_s) {
      return;
    }
    last_progress_ = now;
    ProgressSnapshot p;
    p.counts = scheduler_.counts();
    p.resumed = resumed_;
    p.elapsed_s = std::chrono::duration<double>(now - start_).count();
    p.done_cost = done_cost_;
    for (const Task& t : scheduler_.tasks()) {
      const TaskStatus s = scheduler_.status(t.key);
      if (s == TaskStatus::Pending || s == TaskStatus::Running) p.remaining_cost += t.cost;
    }
    if (options_.json_progress) {
      std::cout << progress_json(p, final ? (interrupted ? "interrupted" : "summary") : "progress") << std::endl;
    } else if (!options_.quiet || final) {
      const char* prefix = !final ? "" : interrupted ? "sweep interrupted: " : "sweep finished: ";
      std::cout << prefix << progress_line(p) << (final ? master_cpu_note(cpu_at_start_s_, p.elapsed_s) : "") << std::endl;
    }
  }

  std::string describe(const std::string& key) const {
    const Task& t = scheduler_.task(key);
    std::string d = task_kind_name(t) + " " + t.attack + " (model " + t.model + ") seed " +
                    std::to_string(t.seed);
    if (!t.prune_mode.empty()) d += " " + t.prune_mode;
    return d + " [" + key.substr(0, 12) + "]";
  }

  // The tasks table names the world rank of the group's leader.
  int leader_rank(int group) const { return leaders_[static_cast<size_t>(group)]; }

  void log(const std::string& line) const {
    if (!options_.quiet) std::cerr << line << std::endl;
  }

  const ExperimentSpec& spec_;
  std::vector<int> leaders_;
  MasterOptions options_;
  Scheduler scheduler_;
  std::map<int, int> group_of_rank_;
  std::deque<int> idle_;
  std::unique_ptr<ResultWriter> writer_;
  Clock::time_point start_, last_progress_;
  double cpu_at_start_s_ = 0;
  int outcomes_written_ = 0;
  size_t resumed_ = 0;
  bool stopping_ = false;  // a stop was requested: no more dispatching
  double done_cost_ = 0;
};

}  // namespace

int run_master(const ExperimentSpec& spec, const std::vector<Task>& tasks,
               const std::vector<int>& leaders, const MasterOptions& options) {
  Master master(spec, tasks, leaders, options);
  master.open_output();
  try {
    return master.run();
  } catch (const std::exception& e) {
    // Leaders may be in a task, or sending its rows to a master that no longer listens: they
    // cannot be stopped cleanly. Every outcome recorded so far was flushed; the file is closed
    // here, then the job ends: better than a hang.
    master.close_output();
    std::cerr << "fineprune: error: " << e.what()
              << "\nfineprune: the master cannot go on and ends the whole job; the results written so far are "
                 "kept, run the same command again to resume"
              << std::endl;
    MPI_Abort(MPI_COMM_WORLD, kExitFailure);
    return kExitFailure;
  }
}

}  // namespace fineprune
