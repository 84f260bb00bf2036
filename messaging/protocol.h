// The master/worker control protocol of a sweep: message tags, the state machine, and the text
// encoding of what the messages carry. Always MPI point-to-point between the master (rank 0) and
// the leader of each worker group; the encodings here are plain functions, tested without MPI.
//
// State machine (one per worker group leader, as the master sees it):
//
//   [asking]  --leader sends kTagRequest-->  [idle]            (the master queues the group)
//   [idle]    --master sends kTagAssign(task, attempt)-->  [running]
//   [idle]    --master sends kTagStop-->  [stopped]           (sweep finished or aborted)
//   [running] --leader sends kTagDone(outcome)-->   [asking]  (rows written, then flushed)
//   [running] --leader sends kTagFailed(key, message)-->  [asking]  (retried elsewhere or later)
//   [running] --leader sends kTagInterrupted(key)-->  [asking]  (a stop was requested; the task
//             saved its state at a safe point and goes back to pending, no attempt used)
//
// A leader sends kTagRequest right after Done/Failed, so each leader has at most one message
// unanswered. The master answers a Request only when it has work or knows there will be none:
// an idle leader waits in a polling receive (MPI_Test with a back-off sleep), never in a
// blocking one, so it does not burn a core. Inside a group, the leader passes kTagStop on to its
// members over the group communicator (members do not take part in tasks yet: data-parallel
// training across a group is the multi-GPU workers stage).
#pragma once

#include <string>
#include <vector>

#include "common/task.h"
#include "results/result_tables.h"

namespace fineprune {

enum MessageTag : int {
  kTagRequest = 101,  // leader -> master: give me work (empty payload)
  kTagAssign = 102,   // master -> leader: encode_assignment()
  kTagStop = 103,     // master -> leader, leader -> members: no more work
  kTagDone = 104,     // leader -> master: encode_outcome()
  kTagFailed = 105,   // leader -> master: encode_failure()
  kTagInterrupted = 106,  // leader -> master: the task's key (it stopped at a safe point)
};

struct Assignment {
  Task task;
  int attempt = 1;  // 1 for the first try
};

struct TaskOutcome {
  std::string key;
  double wall_s = 0;
  std::string host;
  // SHA-256 of the saved model the task trained or started from (the tasks table's model_digest).
  std::string model_digest;
  // Something the master should record and say although the task succeeded (a saved model that
  // failed its checksum and was trained again); empty normally.
  std::string note;
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
};

struct TaskFailure {
  std::string key;
  std::string host;
  std::string message;
};

std::string encode_assignment(const Assignment& a);
Assignment decode_assignment(const std::string& text);  // throws Error on malformed text
std::string encode_outcome(const TaskOutcome& o);
TaskOutcome decode_outcome(const std::string& text);
std::string encode_failure(const TaskFailure& f);
TaskFailure decode_failure(const std::string& text);

}  // namespace fineprune
