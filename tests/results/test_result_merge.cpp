// merge_result_files on synthetic shard files: dedup by task key, attributes, refusals.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "common/file_lock.h"
#include "results/merge.h"
#include "tests/results/result_test_support.h"

namespace fineprune {
namespace {

using namespace testing_rows;

// One task's rows, all under `key`.
struct TaskRows {
  TaskRow task;
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
};

TaskRows task(const std::string& key, const std::string& status, int variant) {
  TaskRows t;
  t.task = task_row(variant);
  t.task.key = key;
  t.task.status = status;
  t.task.error = status == "done" ? "" : "boom " + std::to_string(variant);
  if (status == "done") {
    for (int i = 0; i < 2; ++i) {
      ResultRow r = result_row(variant * 10 + i);
      r.key = key;
      t.results.push_back(r);
    }
    CurveRow c = curve_row(variant);
    c.key = key;
    t.curves.push_back(c);
  }
  return t;
}

class ResultMerge : public TempDirTest {
 protected:
  std::string shard(const std::string& name, const std::vector<TaskRows>& tasks,
                    const std::string& fingerprint = "fp-1", const std::string& shard = "0/2") {
    const std::string p = path(name);
    std::map<std::string, std::string> attributes{{"sweep_yaml", "name: tiny\n"}, {"fineprune_version", "9.9"},
                                                  {"shard", shard}};
    if (!fingerprint.empty()) attributes["sweep_fingerprint"] = fingerprint;
    auto w = ResultWriter::create(p, attributes);
    for (const TaskRows& t : tasks) {
      w->append_results(t.results);
      w->append_curve(t.curves);
      w->append_tasks({t.task});
    }
    w->close();
    return p;
  }
};

TEST_F(ResultMerge, DisjointShardsGiveEveryRowOnce) {
  const TaskRows a = task("a", "done", 1), b = task("b", "done", 2), c = task("c", "failed", 3);
  const std::string s0 = shard("s0.h5", {a, c}), s1 = shard("s1.h5", {b}, "fp-1", "1/2");
  const std::string out = path("all.h5");
  const MergeSummary m = merge_result_files(out, {s0, s1});
  EXPECT_EQ(m.inputs, 2u);
  EXPECT_EQ(m.done_tasks, 2u);
  EXPECT_EQ(m.other_tasks, 1u);
  EXPECT_EQ(m.duplicate_keys, 0u);
  EXPECT_EQ(m.results, 4u);
  EXPECT_EQ(m.curves, 2u);

  const ResultFile f = read_result_file(out);
  std::vector<ResultRow> want_results = a.results;
  want_results.insert(want_results.end(), b.results.begin(), b.results.end());
  expect_rows(f.results, want_results);
  expect_rows(f.curves, std::vector<CurveRow>{a.curves[0], b.curves[0]});
  ASSERT_EQ(f.tasks.size(), 3u);
  EXPECT_EQ(done_task_keys(f.tasks), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(f.attributes.at("sweep_fingerprint"), "fp-1");
  EXPECT_EQ(f.attributes.at("sweep_yaml"), "name: tiny\n");
  EXPECT_EQ(f.attributes.at("fineprune_version"), "9.9");
  EXPECT_EQ(f.attributes.at("merged_from"), s0 + "\n" + s1);
  EXPECT_EQ(f.attributes.count("shard"), 0u);
  EXPECT_FALSE(fs::exists(out + ".merge.tmp"));
}

TEST_F(ResultMerge, DedupByTaskKey) {
  // "a" done twice (the first input's rows win), "b" failed in s0 and done in s1 (done wins),
  // "c" failed in both (the last input's row wins), "d" failed then done inside s1 (latest row).
  const TaskRows a0 = task("a", "done", 1), a1 = task("a", "done", 5);
  const TaskRows b0 = task("b", "failed", 2), b1 = task("b", "done", 6);
  const TaskRows c0 = task("c", "failed", 3), c1 = task("c", "blocked", 7);
  const TaskRows d_failed = task("d", "failed", 4), d_done = task("d", "done", 8);
  const std::string s0 = shard("s0.h5", {a0, b0, c0});
  const std::string s1 = shard("s1.h5", {a1, b1, c1, d_failed, d_done}, "fp-1", "1/2");
  const std::string out = path("all.h5");
  const MergeSummary m = merge_result_files(out, {s0, s1});
  EXPECT_EQ(m.done_tasks, 3u);
  EXPECT_EQ(m.other_tasks, 1u);
  EXPECT_EQ(m.duplicate_keys, 1u);

  const ResultFile f = read_result_file(out);
  std::vector<ResultRow> want = a0.results;
  for (const TaskRows* t : {&b1, &d_done}) want.insert(want.end(), t->results.begin(), t->results.end());
  expect_rows(f.results, want);
  expect_rows(f.curves, std::vector<CurveRow>{a0.curves[0], b1.curves[0], d_done.curves[0]});
  std::map<std::string, TaskRow> by_key;
  for (const TaskRow& t : f.tasks) EXPECT_TRUE(by_key.emplace(t.key, t).second) << "two rows for " << t.key;
  ASSERT_EQ(by_key.size(), 4u);
  expect_same(by_key.at("a"), a0.task);
  expect_same(by_key.at("b"), b1.task);
  expect_same(by_key.at("c"), c1.task);
  expect_same(by_key.at("d"), d_done.task);
}

TEST_F(ResultMerge, TheMergedFileResumesAsASweep) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)});
  const std::string s1 = shard("s1.h5", {task("b", "done", 2)}, "fp-1", "1/2");
  const std::string out = path("all.h5");
  merge_result_files(out, {s0, s1});
  auto w = ResultWriter::open_sweep(out, {{"sweep_yaml", "name: tiny\n"}}, "fp-1", false);
  EXPECT_EQ(w->done_keys(), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(w->orphan_rows_removed(), 0u);
}

// The shards of one split: all K of them, unless the user asks for a partial table.
TEST_F(ResultMerge, MissingOrMismatchedShardsAreRefusedUnlessPartial) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)}, "fp-1", "0/3");
  const std::string s2 = shard("s2.h5", {task("c", "done", 3)}, "fp-1", "2/3");
  const std::string out = path("all.h5");
  const std::string missing = message_of<InputError>([&] { merge_result_files(out, {s0, s2}); });
  EXPECT_NE(missing.find("shards 1 of 3 are missing"), std::string::npos) << missing;
  EXPECT_NE(missing.find("--partial"), std::string::npos) << missing;
  EXPECT_FALSE(std::ifstream(out).good()) << "a refused merge wrote its output";
  EXPECT_EQ(merge_result_files(out, {s0, s2}, /*partial=*/true).done_tasks, 2u);

  const std::string half = shard("half.h5", {task("b", "done", 2)}, "fp-1", "1/2");
  const std::string mixed = message_of<InputError>([&] { merge_result_files(path("m.h5"), {s0, half}); });
  EXPECT_NE(mixed.find(half + ": shard 1/2 of a sweep split 2 ways, but " + s0 + " was split 3 ways"),
            std::string::npos)
      << mixed;
  const std::string odd = shard("odd.h5", {task("e", "done", 5)}, "fp-1", "2 of 3");
  const std::string bad = message_of<InputError>([&] { merge_result_files(path("b.h5"), {s0, odd}); });
  EXPECT_EQ(bad.rfind(odd + ": attribute shard 2 of 3: no '/'", 0), 0u) << bad;
  // A whole run's file among the inputs: no split to complete.
  const std::string whole = shard("whole.h5", {task("d", "done", 4)}, "fp-1", "all");
  EXPECT_EQ(merge_result_files(path("w.h5"), {whole, s0}).done_tasks, 2u);
}

TEST_F(ResultMerge, RefusesShardsOfAnotherVersion) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)});
  const std::string older = path("older.h5");
  ResultWriter::create(older, {{"sweep_fingerprint", "fp-1"}, {"fineprune_version", "9.8"}, {"shard", "1/2"}})->close();
  const std::string msg = message_of<InputError>([&] { merge_result_files(path("all.h5"), {s0, older}); });
  EXPECT_NE(msg.find(older + ": written by fineprune 9.8, " + s0 + " by 9.9"), std::string::npos) << msg;
}

TEST_F(ResultMerge, RefusesShardsOfAnotherSweep) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)});
  const std::string other = shard("other.h5", {task("b", "done", 2)}, "fp-2");
  const std::string out = path("all.h5");
  const std::string msg = message_of<InputError>([&] { merge_result_files(out, {s0, other}); });
  EXPECT_EQ(msg.rfind(other + ": written by another sweep than " + s0, 0), 0u) << msg;
  EXPECT_NE(msg.find("fp-2"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(out));

  const std::string none = shard("none.h5", {task("b", "done", 2)}, "");
  const std::string msg2 = message_of<InputError>([&] { merge_result_files(out, {s0, none}); });
  EXPECT_EQ(msg2.rfind(none + ": no sweep_fingerprint", 0), 0u) << msg2;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ResultMerge, NeverOverwritesAndNamesBadInputs) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)});
  const std::string out = path("all.h5");
  { std::ofstream(out) << "precious"; }
  EXPECT_EQ(message_of<InputError>([&] { merge_result_files(out, {s0}); }).rfind(out + ": already exists", 0), 0u);
  std::ifstream in(out);
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "precious");

  const std::string fresh = path("fresh.h5");
  EXPECT_NE(message_of<InputError>([&] { merge_result_files(fresh, {}); }).find("no input files"), std::string::npos);
  EXPECT_EQ(message_of<InputError>([&] { merge_result_files(s0, {s0}); }).rfind(s0 + ": already exists", 0), 0u);
  const std::string text = path("notes.txt");
  { std::ofstream(text) << "not hdf5"; }
  EXPECT_EQ(message_of<InputError>([&] { merge_result_files(fresh, {s0, text}); }).rfind(text, 0), 0u);
  EXPECT_EQ(message_of<InputError>([&] { merge_result_files(fresh, {s0, path("missing.h5")}); })
                .rfind(path("missing.h5"), 0),
            0u);
  EXPECT_FALSE(fs::exists(fresh));
  EXPECT_FALSE(fs::exists(fresh + ".merge.tmp"));
}

// A sweep (or another merge) writing the output holds <out>.lock: merge waits for nobody and
// writes nothing then, naming the holder. Before the lock, merge renamed its file over theirs.
TEST_F(ResultMerge, RefusedWhileAnotherWriterHoldsTheOutput) {
  const std::string s0 = shard("s0.h5", {task("a", "done", 1)});
  const std::string out = path("all.h5");
  {
    const FileLock held(out + ".lock", out, "the test's own sweep, pid 4242");
    const std::string msg = message_of<InputError>([&] { merge_result_files(out, {s0}, true); });
    EXPECT_EQ(msg.rfind(out, 0), 0u) << msg;
    EXPECT_NE(msg.find("pid 4242"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".merge.tmp"));
  }
  merge_result_files(out, {s0}, true);  // released: merges
  EXPECT_EQ(read_result_file(out).tasks.size(), 1u);
}

}  // namespace
}  // namespace fineprune
