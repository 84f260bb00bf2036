// The sbatch script of a sweep (contract in batch_script.h).
#include "slurm/batch_script.h"

#include <algorithm>
#include <sstream>

#include "common/error.h"
#include "slurm/time_limit.h"

namespace fineprune {

namespace {

constexpr int kDefaultCpusPerTask = 4;
constexpr int kDefaultSignalLead = 300;
constexpr int kMaxSignalLead = 65535;  // Slurm's limit for --signal's time

InputError flag_error(const std::string& flag, const std::string& value, const std::string& why) {
  return InputError(flag + " " + value + ": " + why);
}

void check_positive(const std::string& flag, int value) {
  if (value < 1) throw flag_error(flag, std::to_string(value), "must be at least 1");
}

// A value written on an #SBATCH line: one word, nothing a shell or sbatch would split or expand.
void check_word(const std::string& flag, const std::string& value) {
  if (value.empty()) throw flag_error(flag, "''", "must not be empty");
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || std::string("'\"\\`$;#").find(c) != std::string::npos) {
      throw flag_error(flag, value, "must be one word without quotes, spaces, '$', '`', ';' or '#'");
    }
  }
}

void check_mem(const std::string& value) {
  check_word("--mem", value);
  size_t digits = 0;
  while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) ++digits;
  const std::string unit = value.substr(digits);
  if (digits == 0 || (!unit.empty() && unit != "K" && unit != "M" && unit != "G" && unit != "T")) {
    throw flag_error("--mem", value, "expected a number with an optional unit K, M, G or T (e.g. 16G)");
  }
}

std::string out_stem(const std::string& out) {
  const bool h5 = out.size() > 3 && out.compare(out.size() - 3, 3, ".h5") == 0;
  return h5 ? out.substr(0, out.size() - 3) : out;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string("/._-+=:,@%").find(c) != std::string::npos;
  });
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

BatchPlan plan_batch(const BatchOptions& o) {
  check_positive("--nodes", o.nodes);
  check_positive("--ranks-per-worker", o.ranks_per_worker);
  if (o.gpus_per_node < 0) throw flag_error("--gpus-per-node", std::to_string(o.gpus_per_node), "must be 0 or more");
  if (o.cpus_per_task != 0) check_positive("--cpus-per-task", o.cpus_per_task);
  if (o.workers != 0) check_positive("--workers", o.workers);
  if (o.launcher != "srun" && o.launcher != "mpirun") {
    throw flag_error("--launcher", o.launcher, "must be srun or mpirun");
  }
  for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--partition", o.partition},
                                    {"--account", o.account}, {"--qos", o.qos}, {"--constraint", o.constraint}}) {
    if (!value.empty()) check_word(flag, value);
  }
  if (!o.mem.empty()) check_mem(o.mem);
  if (o.array < 0) throw flag_error("--array", std::to_string(o.array), "must be at least 1");
  if (o.array > 1 && static_cast<size_t>(o.array) > o.trainings) {
    throw flag_error("--array", std::to_string(o.array),
                     "the sweep has " + std::to_string(o.trainings) +
                         " trainings (attacks x seeds), and a shard holds whole trainings: at most " +
                         std::to_string(o.trainings) + " shards");
  }
  for (const std::string& arg : o.run_args) {
    for (const char* own : {"--out", "--run-dir", "--shard", "--ranks-per-worker", "--threads"}) {
      if (arg == own || arg.rfind(std::string(own) + "=", 0) == 0) {
        throw flag_error("-- " + arg, "", std::string("set by `fineprune slurm` itself; use its own ") +
                                              (std::string(own) == "--shard" ? "--array" : own));
      }
    }
  }

  BatchPlan plan;
  if (o.gpus_per_node > 0) {
    if (o.gpus_per_node % o.ranks_per_worker != 0) {
      throw flag_error("--gpus-per-node", std::to_string(o.gpus_per_node),
                       "not a multiple of --ranks-per-worker " + std::to_string(o.ranks_per_worker) +
                           " (each rank of a worker group uses one GPU)");
    }
    plan.worker_groups = o.workers > 0 ? o.workers : o.nodes * o.gpus_per_node / o.ranks_per_worker;
    if (o.workers > o.nodes * o.gpus_per_node / o.ranks_per_worker) {
      throw flag_error("--workers", std::to_string(o.workers),
                       "more worker groups than the GPUs hold (--nodes x --gpus-per-node / --ranks-per-worker = " +
                           std::to_string(o.nodes * o.gpus_per_node / o.ranks_per_worker) + ")");
    }
  } else {
    plan.worker_groups = o.workers > 0 ? o.workers
                                       : std::max(o.nodes, static_cast<int>(std::max<size_t>(1, o.trainings_per_shard)));
  }
  plan.ntasks = plan.worker_groups * o.ranks_per_worker + 1;
  plan.cpus_per_task = o.cpus_per_task > 0 ? o.cpus_per_task : kDefaultCpusPerTask;
  if (!o.time.empty()) plan.time_s = parse_time_limit(o.time, "--time");
  if (o.signal_lead_s < 0) throw flag_error("--signal-lead", std::to_string(o.signal_lead_s), "must be at least 1");
  if (o.signal_lead_s > 0) {
    plan.signal_lead_s = o.signal_lead_s;
    if (plan.signal_lead_s > kMaxSignalLead) {
      throw flag_error("--signal-lead", std::to_string(o.signal_lead_s), "Slurm allows at most 65535 seconds");
    }
    if (plan.time_s > 0 && plan.signal_lead_s >= plan.time_s) {
      throw flag_error("--signal-lead", std::to_string(o.signal_lead_s),
                       "must be shorter than --time " + o.time + " (" + std::to_string(plan.time_s) + " s)");
    }
  } else {
    plan.signal_lead_s = kDefaultSignalLead;
    if (plan.time_s > 0) plan.signal_lead_s = static_cast<int>(std::clamp<long>(plan.time_s / 4, 1, kDefaultSignalLead));
  }
  if (o.array > 1) {
    for (int i = 0; i < o.array; ++i) {
      plan.shard_outputs.push_back(out_stem(o.out_path) + ".shard" + std::to_string(i) + "-of-" +
                                   std::to_string(o.array) + ".h5");
    }
  }
  return plan;
}

std::string batch_script(const BatchOptions& o, const BatchPlan& plan) {
  const bool array = o.array > 1;
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# fineprune sweep '" << o.sweep_name << "' as a Slurm batch job, written by `fineprune slurm` (fineprune "
    << o.version << ").\n"
    << "# Readable and editable: resources below, then the launch and the preemption protocol.\n"
    << "#\n"
    << "# " << plan.worker_groups << " worker group(s) of " << o.ranks_per_worker << " rank(s) + 1 master rank = "
    << plan.ntasks << " MPI ranks (Slurm tasks), " << plan.cpus_per_task << " CPU(s) and threads each"
    << (o.gpus_per_node > 0 ? ", one GPU per worker rank" : ", no GPUs") << ".\n";
  if (array) {
    s << "# Job array: shard i of " << o.array << " (--array=0-" << o.array - 1 << ") writes "
      << out_stem(o.out_path) << ".shard<i>-of-" << o.array << ".h5;\n"
      << "# when all are done: fineprune merge " << shell_quote(o.out_path);
    for (const std::string& f : plan.shard_outputs) s << " " << shell_quote(f);
    s << "\n";
  }
  s << "#SBATCH --job-name=fineprune-" << o.sweep_name << "\n"
    << "#SBATCH --nodes=" << o.nodes << "\n"
    << "#SBATCH --ntasks=" << plan.ntasks << "\n"
    << "#SBATCH --cpus-per-task=" << plan.cpus_per_task << "\n";
  if (o.gpus_per_node > 0) s << "#SBATCH --gpus-per-node=" << o.gpus_per_node << "\n";
  if (!o.time.empty()) s << "#SBATCH --time=" << o.time << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  if (!o.qos.empty()) s << "#SBATCH --qos=" << o.qos << "\n";
  if (!o.constraint.empty()) s << "#SBATCH --constraint=" << o.constraint << "\n";
  if (!o.mem.empty()) s << "#SBATCH --mem=" << o.mem << "\n";
  if (array) s << "#SBATCH --array=0-" << o.array - 1 << "\n";
  s << "#SBATCH --requeue\n"
    << "#SBATCH --signal=B:USR1@" << plan.signal_lead_s << "\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --output=" << o.run_dir << (array ? "/slurm-%A_%a.out" : "/slurm-%j.out") << "\n"
    << "#SBATCH --chdir=" << o.workdir << "\n"
    << "\n"
    << "set -uo pipefail\n"
    << "\n"
    << "fineprune=" << shell_quote(o.binary) << "\n"
    << "sweep=" << shell_quote(o.spec_path) << "\n"
    << "run_dir=" << shell_quote(o.run_dir) << "\n"
    << "this_script=" << shell_quote(o.script_path) << "\n"
    << "max_restarts=" << o.max_restarts << "  # requeues and resubmissions after interruptions\n";
  if (array) {
    s << "shard=\"${SLURM_ARRAY_TASK_ID}/" << o.array << "\"\n"
      << "out=" << shell_quote(out_stem(o.out_path)) << "\".shard${SLURM_ARRAY_TASK_ID}-of-" << o.array
      << ".h5\"\n";
  } else {
    s << "out=" << shell_quote(o.out_path) << "\n";
  }
  s << "\n"
    << "# One thread per CPU of the task; the launch check compares MPI's world size with this.\n"
    << "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-" << plan.cpus_per_task << "}\"\n"
    << "export FINEPRUNE_EXPECTED_RANKS=\"$SLURM_NTASKS\"\n"
    << "restarts=$(( ${SLURM_RESTART_COUNT:-0} + ${FINEPRUNE_RESUBMITS:-0} ))\n"
    << "echo \"fineprune: job ${SLURM_JOB_ID} on ${SLURM_JOB_NODELIST}, start $(( restarts + 1 ))"
    << (array ? ", shard $shard" : "") << ", $(date)\"\n"
    << "\n"
    << "args=(run \"$sweep\" --out \"$out\" --run-dir \"$run_dir\" --ranks-per-worker " << o.ranks_per_worker
    << " --threads \"$OMP_NUM_THREADS\"" << (array ? " --shard \"$shard\"" : "");
  for (const std::string& a : o.run_args) s << " " << shell_quote(a);
  s << ")\n"
    << "\n"
    << "# Slurm sends USR1 to this shell only (B:), " << plan.signal_lead_s
    << " s before the time limit (give or take a minute):\n"
    << "# pass it on to the launcher, which passes it to every rank; fineprune stops dispatching, lets\n"
    << "# running tasks reach a safe point, flushes its results and exits with 3; then requeue.\n"
    << "# TERM (scancel, preemption) is passed on the same way, but never requeues: a cancelled job\n"
    << "# stays cancelled, and Slurm requeues a preempted one itself where PreemptMode=REQUEUE.\n"
    << "warned=0\n"
    << "stop_sent=0\n"
    << "launcher_pid=\n"
    << "forward_stop() {\n"
    << "  stop_sent=1\n"
    << "  [[ -n $launcher_pid ]] && kill -USR1 \"$launcher_pid\" 2>/dev/null\n"
    << "}\n"
    << "trap 'warned=1; forward_stop' USR1\n"
    << "trap forward_stop TERM\n"
    << "\n";
  if (o.launcher == "srun") {
    s << "srun --mpi=pmix --cpus-per-task=\"$OMP_NUM_THREADS\" \"$fineprune\" \"${args[@]}\" &\n";
  } else {
    s << "mpirun -np \"$SLURM_NTASKS\" --bind-to none \"$fineprune\" \"${args[@]}\" &\n";
  }
  s << "launcher_pid=$!\n"
    << "(( stop_sent )) && kill -USR1 \"$launcher_pid\" 2>/dev/null  # a signal before the launcher started\n"
    << "# A trapped signal ends `wait` early (status > 128): wait again until the launcher exits.\n"
    << "while :; do\n"
    << "  wait \"$launcher_pid\"\n"
    << "  status=$?\n"
    << "  (( status > 128 )) && kill -0 \"$launcher_pid\" 2>/dev/null && continue\n"
    << "  break\n"
    << "done\n"
    << "\n"
    << "# Interrupted after the warning (exit 3, or the launcher failed while winding down): resume later.\n"
    << "if (( warned && status != 0 )); then\n"
    << "  if (( restarts >= max_restarts )); then\n"
    << "    echo \"fineprune: interrupted (exit $status) after $restarts restarts: not requeueing again\"\n"
    << "    exit \"$status\"\n"
    << "  fi\n"
    << "  echo \"fineprune: interrupted (exit $status); requeueing job ${SLURM_JOB_ID} to resume, $(date)\"\n"
    << "  # Requeueing ends this script at once; the job starts again later and resumes.\n"
    << "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n"
    << "  echo \"fineprune: requeue refused; submitting this script again\"\n"
    << "  # The new job counts every start so far; this job's Slurm restart count is not passed on.\n"
    << "  sbatch --export=ALL,FINEPRUNE_RESUBMITS=$(( restarts + 1 )),SLURM_RESTART_COUNT=0"
    << (array ? " --array=\"$SLURM_ARRAY_TASK_ID\"" : "") << " \"$this_script\" && exit 0\n"
    << "fi\n"
    << "exit \"$status\"\n";
  return s.str();
}

}  // namespace fineprune
