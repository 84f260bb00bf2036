// The MPI master winding down on a stop (preemption), with fake worker-group leaders on the other
// ranks: a SIGUSR1 to rank 0 stops dispatching, running tasks still report, the master exits 3 and
// a second session resumes; a leader reporting a task interrupted stops the sweep too, and the
// task is not recorded as failed. Run as `mpiexec -n 3` (label mpi); main reduces pass/fail over
// the ranks.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common/error.h"
#include "common/stop_request.h"
#include "orchestrator/master.h"
#include "messaging/mpi_channel.h"
#include "messaging/protocol.h"
#include "results/result_tables.h"
#include "tests/orchestrator/sweep_fixtures.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

// Two families: T1 -> c1, T2 -> c2.
std::vector<Task> tasks() {
  const auto make = [](const std::string& key, TaskKind kind, double cost, std::vector<std::string> deps) {
    Task t;
    t.key = key;
    t.kind = kind;
    t.attack = "badnets";
    t.cost = cost;
    t.deps = std::move(deps);
    return t;
  };
  return {make("T1", TaskKind::Train, 10, {}), make("c1", TaskKind::Curve, 1, {"T1"}),
          make("T2", TaskKind::Train, 10, {}), make("c2", TaskKind::Curve, 1, {"T2"})};
}

enum class Reply { Done, Interrupted };

// Ranks 1 and 2 (the fake leaders) meet: each sends `tag` to the other and waits for the other's.
// Tags below the protocol's (101..), never sent to the master.
void meet_other_leader(int tag) {
  const int other = world_rank() == 1 ? 2 : 1;
  MPI_Sendrecv(nullptr, 0, MPI_BYTE, other, tag, nullptr, 0, MPI_BYTE, other, tag, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
}

// A worker-group leader that answers each assignment with `reply(n)` (n counts from 0) after
// `before_reply(n)` ran; returns when the master says stop.
void fake_leader(const std::function<Reply(int)>& reply, const std::function<void(int)>& before_reply = {}) {
  for (int n = 0;; ++n) {
    send_text(MPI_COMM_WORLD, 0, kTagRequest, "");
    const Message m = wait_receive(MPI_COMM_WORLD, 0);
    if (m.tag == kTagStop) return;
    const Assignment a = decode_assignment(m.text);
    if (before_reply) before_reply(n);
    if (reply(n) == Reply::Interrupted) {
      send_text(MPI_COMM_WORLD, 0, kTagInterrupted, a.task.key);
    } else {
      TaskOutcome o;
      o.key = a.task.key;
      o.host = host_name();
      send_text(MPI_COMM_WORLD, 0, kTagDone, encode_outcome(o));
    }
  }
}

class MasterStop : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_stop_request();
    install_stop_handlers();
    spec_ = test::sweep_spec();
    if (world_rank() == 0) {
      dir_ = std::make_unique<test_support::TempDir>();
      out_ = dir_->file("stop.h5");
    }
    master_pid_ = static_cast<int>(::getpid());
    MPI_Bcast(&master_pid_, 1, MPI_INT, 0, MPI_COMM_WORLD);
  }
  void TearDown() override { clear_stop_request(); }

  int master() {
    MasterOptions o;
    o.out_path = out_;
    o.quiet = true;
    o.progress_interval_s = 1000;
    return run_master(spec_, tasks(), {1, 2}, o);
  }

  // Everyone finishes every task: the resumed session must end the sweep.
  void finish_and_check() {
    if (world_rank() == 0) {
      EXPECT_EQ(master(), kExitOk);
      const ResultFile f = read_result_file(out_);
      EXPECT_EQ(done_task_keys(f.tasks), (std::set<std::string>{"T1", "c1", "T2", "c2"}));
      EXPECT_EQ(f.tasks.size(), 4u) << "a task recorded twice, or a failed row";
    } else {
      fake_leader([](int) { return Reply::Done; });
    }
  }

  ExperimentSpec spec_;
  std::unique_ptr<test_support::TempDir> dir_;
  std::string out_;
  int master_pid_ = 0;
};

TEST_F(MasterStop, SignalStopsDispatchingRunningTasksStillReport) {
  if (world_rank() == 0) {
    EXPECT_EQ(master(), kExitInterrupted);
    const ResultFile f = read_result_file(out_);
    // Both trainings were running when the signal came: they finished and were recorded; the
    // curves, ready only afterwards, were never handed out.
    const std::set<std::string> done = done_task_keys(f.tasks);
    EXPECT_EQ(done.count("T1"), 1u);
    EXPECT_EQ(done.count("T2"), 1u);
    EXPECT_EQ(done.count("c1") + done.count("c2"), 0u);
    EXPECT_EQ(f.tasks.size(), done.size());
    EXPECT_TRUE(stop_requested());
    clear_stop_request();
  } else {
    // Once both hold a training, rank 1 sends Slurm's warning to the master; rank 2 waits until
    // it was sent. Both then take their time.
    const bool signaller = world_rank() == 1;
    fake_leader([](int) { return Reply::Done; },
                [&](int n) {
                  if (n == 0) {
                    meet_other_leader(7);  // both hold a task
                    if (signaller) ::kill(master_pid_, SIGUSR1);
                    meet_other_leader(8);  // the signal is sent
                  }
                  std::this_thread::sleep_for(std::chrono::milliseconds(300));
                });
  }
  MPI_Barrier(MPI_COMM_WORLD);
  finish_and_check();
}

TEST_F(MasterStop, InterruptedTaskStopsTheSweepAndIsNotAFailure) {
  if (world_rank() == 0) {
    EXPECT_EQ(master(), kExitInterrupted);
    const ResultFile f = read_result_file(out_);
    for (const TaskRow& t : f.tasks) EXPECT_EQ(t.status, "done") << t.key << ": " << t.error;
    // Only rank 2's work may be done: it answers at once, so its training and then that
    // family's curve can both finish before the master reads rank 1's report. Rank 1's task
    // went back to pending and has no row.
    EXPECT_LE(f.tasks.size(), 2u);
    for (const TaskRow& t : f.tasks) EXPECT_EQ(t.worker, 2) << t.key;
    EXPECT_TRUE(stop_requested());  // the master raised the process's flag itself
    clear_stop_request();
  } else {
    // Both take a training before either answers, so rank 2 can finish only its own family.
    const Reply reply = world_rank() == 1 ? Reply::Interrupted : Reply::Done;
    fake_leader([&](int) { return reply; },
                [](int n) {
                  if (n == 0) meet_other_leader(7);
                });
  }
  MPI_Barrier(MPI_COMM_WORLD);
  finish_and_check();
}

TEST_F(MasterStop, StopBeforeAnyWorkHandsOutNothing) {
  if (world_rank() == 0) {
    request_stop();
    EXPECT_EQ(master(), kExitInterrupted);
    EXPECT_TRUE(read_result_file(out_).tasks.empty());
    clear_stop_request();
  } else {
    fake_leader([](int) {
      ADD_FAILURE() << "a task was handed out after the stop";
      return Reply::Done;
    });
  }
  MPI_Barrier(MPI_COMM_WORLD);
  finish_and_check();
}

}  // namespace
}  // namespace fineprune

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  fineprune::mpi_start(&argc, &argv);
  if (fineprune::world_rank() != 0) {
    // Only rank 0 prints the report; failures on other ranks still count (reduced below).
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (fineprune::world_rank() == 0 && any != 0 && failed == 0) {
    std::fprintf(stderr, "a test failed on a rank other than 0\n");
  }
  fineprune::mpi_finish();
  return any;
}
