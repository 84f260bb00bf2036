// Tests of ResultWriter::open_sweep and the tasks table: create, resume, fingerprint checks,
// --fresh, orphan removal, the latest-row-wins rule and append_task_outcome's checks.
#include <gtest/gtest.h>
#include <unistd.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <fstream>

#include "common/error.h"
#include "results/result_tables.h"
#include "results/table_layout.h"
#include "tests/results/result_test_support.h"
#include "tests/results/schema_attribute.h"

namespace fineprune {
namespace {

using namespace testing_rows;  // NOLINT: the shared row makers and checks

// A task's rows all carry its key, as the master writes them.
struct Outcome {
  TaskRow task;
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
};

Outcome outcome(const std::string& key, int n_results, int n_curves,
                const std::string& status = "done") {
  Outcome o;
  o.task = task_row(0);
  o.task.key = key;
  o.task.status = status;
  o.task.error = status == "done" ? "" : "it broke";
  for (int j = 0; j < n_results; ++j) {
    o.results.push_back(result_row(j));
    o.results.back().key = key;
  }
  for (int j = 0; j < n_curves; ++j) {
    o.curves.push_back(curve_row(j));
    o.curves.back().key = key;
  }
  return o;
}

void write(ResultWriter& writer, const Outcome& o) {
  writer.append_task_outcome(o.task, o.results, o.curves);
}

class ResultSweep : public TempDirTest {
 protected:
  // Files in the test folder other than `keep`, its snapshot and its lock file: leftover
  // temporary files show.
  std::vector<std::string> other_files(const std::string& keep) const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name != keep && name != keep + ".snapshot" && name != keep + ".lock") out.push_back(name);
    }
    return out;
  }
};

// Replaces the file's "schema" attribute with `name`: the current layout under an older schema's
// name, as a file of that version would announce itself.
void relabel_schema(const std::string& file, const char* name) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Adelete(f, "schema"), 0);
  ASSERT_NO_FATAL_FAILURE(write_schema_attribute(f, name));
  ASSERT_GE(H5Fclose(f), 0);
}

TEST_F(ResultSweep, MissingFileIsCreatedWithFingerprint) {
  auto writer = ResultWriter::open_sweep(path("s.h5"), {{"fineprune_version", "0.2"}}, "fp-1",
                                         false);
  EXPECT_TRUE(writer->done_keys().empty());
  EXPECT_EQ(writer->orphan_rows_removed(), 0u);
  write(*writer, outcome("a", 2, 3));
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"a"}));
  writer->close();
  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_EQ(file.attributes,
            (std::map<std::string, std::string>{{"schema", kResultSchema},
                                                {"sweep_fingerprint", "fp-1"},
                                                {"fineprune_version", "0.2"}}));
  EXPECT_EQ(file.results.size(), 2u);
  EXPECT_EQ(file.curves.size(), 3u);
  ASSERT_EQ(file.tasks.size(), 1u);
  EXPECT_EQ(file.tasks[0].key, "a");
  EXPECT_TRUE(other_files("s.h5").empty());
  EXPECT_EQ(read_result_file(path("s.h5.snapshot")).attributes.at("sweep_fingerprint"), "fp-1");
}

TEST_F(ResultSweep, ReopenWithSameFingerprintAppendsAfterFirstSession) {
  const Outcome a = outcome("a", 2, 3), b = outcome("b", 0, 0, "failed"), c = outcome("c", 1, 0);
  const Outcome d = outcome("d", 3, 1);
  {
    auto writer = ResultWriter::open_sweep(path("s.h5"), {{"version", "1"}, {"yaml", "y"}},
                                           "fp", false);
    write(*writer, a);
    write(*writer, b);
    write(*writer, c);
    writer->close();
  }
  auto writer = ResultWriter::open_sweep(path("s.h5"), {{"version", "2"}}, "fp", false);
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(writer->orphan_rows_removed(), 0u);
  write(*writer, d);
  writer.reset();  // the destructor alone must leave a complete file

  const ResultFile file = read_result_file(path("s.h5"));
  std::vector<ResultRow> results = a.results;
  results.insert(results.end(), c.results.begin(), c.results.end());
  results.insert(results.end(), d.results.begin(), d.results.end());
  expect_rows(file.results, results);
  std::vector<CurveRow> curves = a.curves;
  curves.insert(curves.end(), d.curves.begin(), d.curves.end());
  expect_rows(file.curves, curves);
  expect_rows(file.tasks, {a.task, b.task, c.task, d.task});
  EXPECT_EQ(file.attributes.at("version"), "2");  // rewritten by the latest session
  EXPECT_EQ(file.attributes.at("yaml"), "y");     // kept from the first
  EXPECT_EQ(file.attributes.at("sweep_fingerprint"), "fp");
}

TEST_F(ResultSweep, OtherFingerprintIsInputErrorNamingFileAndFresh) {
  ResultWriter::open_sweep(path("s.h5"), {}, "fp-old", false)->close();
  const std::string msg = message_of<InputError>(
      [&] { ResultWriter::open_sweep(path("s.h5"), {}, "fp-new", false); });
  EXPECT_NE(msg.find(path("s.h5") + ": written by another sweep"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fp-old"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fp-new"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--fresh"), std::string::npos) << msg;

  // A file of `fineprune experiment` (create) has no fingerprint at all.
  ResultWriter::create(path("single.h5"), {})->close();
  const std::string none = message_of<InputError>(
      [&] { ResultWriter::open_sweep(path("single.h5"), {}, "fp", false); });
  EXPECT_NE(none.find("fingerprint none"), std::string::npos) << none;
}

// A second writer aimed at a file another is writing (a Slurm script submitted twice) is refused
// before it reads or replaces anything: HDF5 could not open the file and resuming would have
// taken it for torn and put the snapshot in its place.
TEST_F(ResultSweep, SecondWriterWhileOneWritesIsRefusedAndChangesNothing) {
  auto first = ResultWriter::open_sweep(path("s.h5"), {}, "fp", false);
  write(*first, outcome("a", 2, 1));
  for (const bool fresh : {false, true}) {
    const std::string msg = message_of<InputError>(
        [&] { ResultWriter::open_sweep(path("s.h5"), {}, "fp", fresh); });
    EXPECT_NE(msg.find(path("s.h5") + ": another fineprune run is writing it (host "), std::string::npos) << msg;
    EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  }
  write(*first, outcome("b", 1, 1));
  first->close();
  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_EQ(done_task_keys(file.tasks), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(file.results.size(), 3u);
  EXPECT_TRUE(other_files("s.h5").empty());
  // Closed, the file is free again.
  EXPECT_EQ(ResultWriter::open_sweep(path("s.h5"), {}, "fp", false)->done_keys(),
            (std::set<std::string>{"a", "b"}));
}

// Task keys hold the version: a file of another version is not resumed (each cell would appear
// twice), it is refused naming both versions; --fresh starts over.
TEST_F(ResultSweep, FileOfAnotherVersionIsRefusedUnlessFresh) {
  ResultWriter::open_sweep(path("s.h5"), {{"fineprune_version", "0.1"}}, "fp", false)->close();
  const std::string msg = message_of<InputError>(
      [&] { ResultWriter::open_sweep(path("s.h5"), {{"fineprune_version", "0.2"}}, "fp", false); });
  EXPECT_NE(msg.find(path("s.h5") + ": written by fineprune 0.1, this is 0.2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--fresh"), std::string::npos) << msg;
  EXPECT_NO_THROW(ResultWriter::open_sweep(path("s.h5"), {{"fineprune_version", "0.2"}}, "fp", true)->close());
}

TEST_F(ResultSweep, FileNotOursIsTheReadersInputError) {
  std::ofstream(path("text.h5")) << "not hdf5\n";
  EXPECT_NE(message_of<InputError>([&] {
              ResultWriter::open_sweep(path("text.h5"), {}, "fp", false);
            }).find("not an HDF5 file"),
            std::string::npos);

  // A version-1 file: the current layout under the old schema name.
  ResultWriter::create(path("v1.h5"), {})->close();
  ASSERT_NO_FATAL_FAILURE(relabel_schema(path("v1.h5"), "fineprune-results-1"));
  const std::string msg = message_of<InputError>(
      [&] { ResultWriter::open_sweep(path("v1.h5"), {}, "fp", false); });
  EXPECT_NE(msg.find(path("v1.h5") + ": not a fineprune result file: schema is "
                                     "'fineprune-results-1', expected '" + kResultSchema + "'"),
            std::string::npos)
      << msg;
}

// Schema 4 (before the model axis: curves and tasks had no `model` column, results.model held the
// architecture): refused by name, by the resume path and by the readers (report, plan, merge),
// never half-read.
TEST_F(ResultSweep, SchemaFourFileIsRefusedNamingBothSchemas) {
  ResultWriter::create(path("v4.h5"), {})->close();
  ASSERT_NO_FATAL_FAILURE(relabel_schema(path("v4.h5"), "fineprune-results-4"));
  const std::string expected = path("v4.h5") +
                               ": not a fineprune result file: schema is 'fineprune-results-4', "
                               "expected '" + kResultSchema + "'";
  const std::string resume = message_of<InputError>(
      [&] { ResultWriter::open_sweep(path("v4.h5"), {}, "fp", false); });
  EXPECT_NE(resume.find(expected), std::string::npos) << resume;
  const std::string read = message_of<InputError>([&] { read_result_file(path("v4.h5")); });
  EXPECT_NE(read.find(expected), std::string::npos) << read;
}

// Rewrites the file's tasks table as schema 5 had it: no stop_drop column (the other columns,
// packed, in order), then names the file schema 5.
void make_schema5(const std::string& file) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t old_set = H5Dopen2(f, "tasks", H5P_DEFAULT);
  const hid_t old_type = H5Dget_type(old_set);
  const hid_t space = H5Dget_space(old_set);
  std::vector<std::pair<std::string, hid_t>> members;
  size_t size = 0;
  for (int i = 0; i < H5Tget_nmembers(old_type); ++i) {
    char* name = H5Tget_member_name(old_type, static_cast<unsigned>(i));
    if (std::string(name) != "stop_drop") {
      members.emplace_back(name, H5Tget_member_type(old_type, static_cast<unsigned>(i)));
      size += H5Tget_size(members.back().second);
    }
    H5free_memory(name);
  }
  ASSERT_EQ(members.size(), task_column_names().size() - 1);
  const hid_t type5 = H5Tcreate(H5T_COMPOUND, size);
  size_t offset = 0;
  for (const auto& [name, type] : members) {
    ASSERT_GE(H5Tinsert(type5, name.c_str(), offset, type), 0);
    offset += H5Tget_size(type);
    H5Tclose(type);
  }
  const hssize_t rows = H5Sget_simple_extent_npoints(space);
  std::vector<char> records(static_cast<size_t>(rows) * size + 1);
  ASSERT_GE(H5Dread(old_set, type5, H5S_ALL, H5S_ALL, H5P_DEFAULT, records.data()), 0);
  H5Dclose(old_set);
  H5Tclose(old_type);
  ASSERT_GE(H5Ldelete(f, "tasks", H5P_DEFAULT), 0);
  const hsize_t dims = static_cast<hsize_t>(rows);
  const hid_t space5 = H5Screate_simple(1, &dims, nullptr);  // the old one is unlimited (chunked)
  const hid_t set5 = H5Dcreate2(f, "tasks", type5, space5, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(set5, 0);
  ASSERT_GE(H5Dwrite(set5, type5, H5S_ALL, H5S_ALL, H5P_DEFAULT, records.data()), 0);
  H5Dclose(set5);
  H5Tclose(type5);
  H5Sclose(space5);
  H5Sclose(space);
  ASSERT_GE(H5Fclose(f), 0);
  ASSERT_NO_FATAL_FAILURE(relabel_schema(file, "fineprune-results-5"));
}

// Schema 5 (no tasks.stop_drop: a stop task's threshold was in tasks.prune_rate) is read
// upgraded, and a resume rewrites the file in today's schema and goes on from it: a sweep begun
// by the build before is not lost.
TEST_F(ResultSweep, SchemaFiveFileIsReadUpgradedAndResumed) {
  Outcome stop = outcome("stop-task", 2, 1), rate = outcome("rate-task", 1, 0);
  stop.task.prune_mode = "stop";
  stop.task.prune_rate = 0.04;  // where schema 5 kept the threshold
  stop.task.stop_drop = 0;
  rate.task.prune_mode = "rate";
  rate.task.prune_rate = 0.5;
  rate.task.stop_drop = 0;
  {
    auto writer = ResultWriter::open_sweep(path("v5.h5"), {{"yaml", "y"}}, "fp", false);
    write(*writer, stop);
    write(*writer, rate);
  }
  ASSERT_NO_FATAL_FAILURE(make_schema5(path("v5.h5")));

  const ResultFile old = read_result_file(path("v5.h5"));
  EXPECT_EQ(old.attributes.at("schema"), "fineprune-results-5");
  ASSERT_EQ(old.tasks.size(), 2u);
  EXPECT_EQ(old.tasks[0].prune_rate, 0.0);
  EXPECT_EQ(old.tasks[0].stop_drop, 0.04);
  EXPECT_EQ(old.tasks[1].prune_rate, 0.5);
  EXPECT_EQ(old.tasks[1].stop_drop, 0.0);
  EXPECT_EQ(old.tasks[0].error, stop.task.error);  // the columns after the missing one line up
  EXPECT_EQ(old.tasks[1].model_digest, rate.task.model_digest);
  EXPECT_EQ(old.results.size(), 3u);

  auto writer = ResultWriter::open_sweep(path("v5.h5"), {}, "fp", false);
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"stop-task", "rate-task"}));
  write(*writer, outcome("after", 1, 0));
  writer->close();
  const ResultFile now = read_result_file(path("v5.h5"));
  EXPECT_EQ(now.attributes.at("schema"), kResultSchema);
  EXPECT_EQ(now.attributes.at("yaml"), "y");
  ASSERT_EQ(now.tasks.size(), 3u);
  EXPECT_EQ(now.tasks[0].stop_drop, 0.04);
  EXPECT_EQ(now.tasks[0].prune_rate, 0.0);
  EXPECT_EQ(now.tasks[2].key, "after");
  EXPECT_EQ(now.results.size(), 4u);
  EXPECT_EQ(now.curves.size(), 1u);
}

TEST_F(ResultSweep, FreshStartsAnEmptyFileOverTheOldOne) {
  {
    auto writer = ResultWriter::open_sweep(path("s.h5"), {{"old", "1"}}, "fp-old", false);
    write(*writer, outcome("a", 2, 2));
  }
  auto writer = ResultWriter::open_sweep(path("s.h5"), {{"new", "1"}}, "fp-new", true);
  EXPECT_TRUE(writer->done_keys().empty());
  writer->close();
  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_TRUE(file.results.empty());
  EXPECT_TRUE(file.curves.empty());
  EXPECT_TRUE(file.tasks.empty());
  EXPECT_EQ(file.attributes.at("sweep_fingerprint"), "fp-new");
  EXPECT_EQ(file.attributes.count("old"), 0u);
  EXPECT_TRUE(other_files("s.h5").empty());
}

TEST_F(ResultSweep, FailedFreshCreationLeavesTheOldFile) {
  const Outcome a = outcome("a", 2, 2);
  {
    auto writer = ResultWriter::open_sweep(path("s.h5"), {}, "fp-old", false);
    write(*writer, a);
  }
  // A NUL byte in an attribute fails the build after the new file was created and half written.
  const std::map<std::string, std::string> bad = {{"yaml", std::string("a\0b", 3)}};
  EXPECT_THROW(ResultWriter::open_sweep(path("s.h5"), bad, "fp-new", true), IoError);
  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_EQ(file.attributes.at("sweep_fingerprint"), "fp-old");
  expect_rows(file.results, a.results);
  expect_rows(file.curves, a.curves);
  EXPECT_TRUE(other_files("s.h5").empty()) << "the half-built file stayed behind";
}

TEST_F(ResultSweep, FingerprintAndSchemaAttributesAreReserved) {
  EXPECT_THROW(ResultWriter::open_sweep(path("s.h5"), {{"sweep_fingerprint", "x"}}, "fp", false),
               IoError);
  EXPECT_THROW(ResultWriter::open_sweep(path("s.h5"), {{"schema", "x"}}, "fp", false), IoError);
  EXPECT_FALSE(fs::exists(path("s.h5")));
}

TEST_F(ResultSweep, OrphanRowsAreRemovedOnReopen) {
  const Outcome a = outcome("a", 2, 3), c = outcome("c", 1, 2);
  const Outcome x = outcome("x", 3, 4);  // rows written, then a crash before its task row
  const Outcome y = outcome("y", 2, 0);  // rows of a task whose latest row is "failed"
  {
    auto writer = ResultWriter::open_sweep(path("s.h5"), {{"kept", "1"}, {"v", "1"}}, "fp", false);
    write(*writer, a);
    writer->append_results(x.results);
    writer->append_curve(x.curves);
    writer->append_results(y.results);
    writer->append_tasks({outcome("y", 0, 0, "failed").task});
    write(*writer, c);
    writer->close();
  }
  auto writer = ResultWriter::open_sweep(path("s.h5"), {{"v", "2"}}, "fp", false);
  EXPECT_EQ(writer->orphan_rows_removed(), 3u + 4u + 2u);
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"a", "c"}));
  write(*writer, x);  // the resumed sweep re-runs x
  writer->close();
  EXPECT_TRUE(other_files("s.h5").empty()) << "the rebuilt file's temporary stayed behind";

  const ResultFile file = read_result_file(path("s.h5"));
  std::vector<ResultRow> results = a.results;
  for (const auto* o : {&c, &x}) {
    results.insert(results.end(), o->results.begin(), o->results.end());
  }
  expect_rows(file.results, results);
  std::vector<CurveRow> curves = a.curves;
  for (const auto* o : {&c, &x}) curves.insert(curves.end(), o->curves.begin(), o->curves.end());
  expect_rows(file.curves, curves);
  ASSERT_EQ(file.tasks.size(), 4u);  // task rows are history: none is dropped
  EXPECT_EQ(file.attributes.at("kept"), "1");
  EXPECT_EQ(file.attributes.at("v"), "2");
  EXPECT_EQ(file.attributes.at("sweep_fingerprint"), "fp");

  EXPECT_EQ(ResultWriter::open_sweep(path("s.h5"), {}, "fp", false)->orphan_rows_removed(), 0u);
}

TEST_F(ResultSweep, LatestTaskRowWins) {
  auto writer = ResultWriter::open_sweep(path("s.h5"), {}, "fp", false);
  // k1 failed, then succeeded after a resume; k2 was done, then a later row says failed; k3 was
  // blocked; k4 was blocked, then done.
  writer->append_tasks({outcome("k1", 0, 0, "failed").task, outcome("k2", 0, 0).task});
  writer->append_results(outcome("k2", 2, 0).results);
  writer->append_tasks({outcome("k3", 0, 0, "blocked").task, outcome("k4", 0, 0, "blocked").task});
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"k2"}));
  write(*writer, outcome("k1", 1, 1));
  writer->append_tasks({outcome("k2", 0, 0, "failed").task, outcome("k4", 0, 0).task});
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"k1", "k4"}));
  writer->close();

  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_EQ(done_task_keys(file.tasks), (std::set<std::string>{"k1", "k4"}));
  // One row per task, in the order the tasks first ended, each holding its final state.
  ASSERT_EQ(file.tasks.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> final_states = {
      {"k1", "done"}, {"k2", "failed"}, {"k3", "blocked"}, {"k4", "done"}};
  for (size_t i = 0; i < final_states.size(); ++i) {
    EXPECT_EQ(file.tasks[i].key, final_states[i].first);
    EXPECT_EQ(file.tasks[i].status, final_states[i].second) << final_states[i].first;
  }
  auto reopened = ResultWriter::open_sweep(path("s.h5"), {}, "fp", false);
  EXPECT_EQ(reopened->done_keys(), (std::set<std::string>{"k1", "k4"}));
  EXPECT_EQ(reopened->orphan_rows_removed(), 2u);  // k2's rows: no longer done
  // A later session ends k2 again: its row is overwritten there too, after the reopen.
  write(*reopened, outcome("k2", 1, 0));
  reopened->close();
  const ResultFile again = read_result_file(path("s.h5"));
  ASSERT_EQ(again.tasks.size(), 4u);
  EXPECT_EQ(again.tasks[1].key, "k2");
  EXPECT_EQ(again.tasks[1].status, "done");
  EXPECT_EQ(done_task_keys(again.tasks), (std::set<std::string>{"k1", "k2", "k4"}));
}

TEST_F(ResultSweep, TaskOutcomeIsCheckedBeforeAnythingIsWritten) {
  auto writer = ResultWriter::open_sweep(path("s.h5"), {}, "fp", false);
  Outcome wrong_key = outcome("a", 2, 1);
  wrong_key.curves[0].key = "b";
  EXPECT_NE(message_of<IoError>([&] { write(*writer, wrong_key); }).find("curves row has key 'b'"),
            std::string::npos);
  Outcome failed_with_rows = outcome("a", 1, 0, "failed");
  EXPECT_THROW(write(*writer, failed_with_rows), IoError);
  Outcome too_long = outcome("a", 2, 0);
  too_long.results[1].model = std::string(kNameLength, 'm');
  EXPECT_THROW(write(*writer, too_long), IoError);
  write(*writer, outcome("a", 1, 1));
  EXPECT_NE(message_of<IoError>([&] { write(*writer, outcome("a", 1, 1)); }).find("already done"),
            std::string::npos);
  // None of the refusals left the writer unusable.
  write(*writer, outcome("b", 0, 0, "failed"));
  writer->close();
  const ResultFile file = read_result_file(path("s.h5"));
  EXPECT_EQ(file.results.size(), 1u);
  EXPECT_EQ(file.curves.size(), 1u);
  EXPECT_EQ(file.tasks.size(), 2u);
}

// What a flush torn by a crash can leave (HDF5 then fails on the file): here, the file cut short.
void tear(const std::string& file) { fs::resize_file(file, fs::file_size(file) / 2); }

TEST_F(ResultSweep, TornFileIsResumedFromItsSnapshot) {
  const std::string file = path("s.h5");
  auto writer = ResultWriter::open_sweep(file, {{"v", "1"}}, "fp", false);
  EXPECT_TRUE(fs::exists(file + ".snapshot"));
  write(*writer, outcome("a", 2, 1));
  writer->snapshot();
  write(*writer, outcome("b", 1, 1));  // may or may not be in the snapshot (automatic ones)
  writer->close();
  const ResultFile saved = read_result_file(file + ".snapshot");
  EXPECT_EQ(done_task_keys(saved.tasks).count("a"), 1u);

  tear(file);
  const uintmax_t torn_size = fs::file_size(file);
  EXPECT_THROW(read_result_file(file), DamagedFileError);  // cut short: HDF5 sees the stored end
  writer = ResultWriter::open_sweep(file, {{"v", "2"}}, "fp", false);
  EXPECT_TRUE(writer->recovered_from_snapshot());
  EXPECT_EQ(writer->done_keys(), done_task_keys(saved.tasks));
  if (writer->done_keys().count("b") == 0) write(*writer, outcome("b", 1, 1));  // re-run
  writer->close();
  EXPECT_EQ(fs::file_size(file + ".broken"), torn_size) << "the torn file is kept for a look";

  const ResultFile got = read_result_file(file);
  EXPECT_EQ(done_task_keys(got.tasks), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(got.results.size(), 3u);
  EXPECT_EQ(got.curves.size(), 2u);
  EXPECT_EQ(got.attributes.at("v"), "2");
  EXPECT_FALSE(ResultWriter::open_sweep(file, {}, "fp", false)->recovered_from_snapshot());
}

// Exit code 2 (the output given cannot be resumed; --fresh or another --out), never a guess.
TEST_F(ResultSweep, TornFileWithoutUsableSnapshotIsRefused) {
  const std::string file = path("s.h5");
  {
    auto writer = ResultWriter::open_sweep(file, {}, "fp", false);
    write(*writer, outcome("a", 2, 1));
  }
  tear(file);
  fs::remove(file + ".snapshot");
  std::string msg =
      message_of<DamagedFileError>([&] { ResultWriter::open_sweep(file, {}, "fp", false); });
  EXPECT_NE(msg.find("no snapshot to resume from"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--fresh"), std::string::npos) << msg;

  // A snapshot of another sweep is no snapshot of this one.
  ResultWriter::open_sweep(path("other.h5"), {}, "fp-other", false)->close();
  fs::copy_file(path("other.h5"), file + ".snapshot");
  msg = message_of<DamagedFileError>([&] { ResultWriter::open_sweep(file, {}, "fp", false); });
  EXPECT_NE(msg.find("written by another sweep"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(file + ".broken")) << "nothing is moved when nothing can be recovered";
}

// What a flush torn at a new chunk can leave: the table one row longer, the row HDF5's fill value.
void append_fill_row(const std::string& file, const results_detail::TableLayout& layout) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const std::vector<char> zeros(layout.record_size, 0);
  ASSERT_GE(H5TBappend_records(f, layout.name, 1, layout.record_size, layout.offsets.data(),
                               layout.sizes.data(), zeros.data()),
            0);
  ASSERT_GE(H5Fclose(f), 0);
}

TEST_F(ResultSweep, RowsWithoutKeyMeanATornFlushAndTheSnapshot) {
  const std::string file = path("s.h5");
  {
    auto writer = ResultWriter::open_sweep(file, {}, "fp", false);
    write(*writer, outcome("a", 2, 1));
    writer->snapshot();
  }
  {
    auto writer = ResultWriter::open_sweep(file, {}, "fp", false);  // snapshot: a
    write(*writer, outcome("b", 1, 1));
  }
  // Read after the second session: a slow write there may have taken a snapshot of its own.
  const ResultFile saved = read_result_file(file + ".snapshot");
  append_fill_row(file, results_detail::tasks_layout());
  auto writer = ResultWriter::open_sweep(file, {}, "fp", false);
  EXPECT_TRUE(writer->recovered_from_snapshot());
  EXPECT_EQ(writer->done_keys(), done_task_keys(saved.tasks));
  writer->close();
  EXPECT_TRUE(fs::exists(file + ".broken"));
  const ResultFile got = read_result_file(file);
  expect_rows(got.tasks, saved.tasks);
  expect_rows(got.results, saved.results);
}

TEST_F(ResultSweep, RowsWithoutKeyAndNoSnapshotAreRemovedLikeOrphans) {
  const std::string file = path("s.h5");
  const Outcome a = outcome("a", 2, 1), b = outcome("b", 1, 2);
  {
    auto writer = ResultWriter::open_sweep(file, {}, "fp", false);
    write(*writer, a);
    write(*writer, b);
  }
  fs::remove(file + ".snapshot");
  append_fill_row(file, results_detail::results_layout());
  append_fill_row(file, results_detail::curves_layout());
  append_fill_row(file, results_detail::tasks_layout());
  auto writer = ResultWriter::open_sweep(file, {}, "fp", false);
  EXPECT_FALSE(writer->recovered_from_snapshot());
  EXPECT_EQ(writer->orphan_rows_removed(), 3u);
  EXPECT_EQ(writer->done_keys(), (std::set<std::string>{"a", "b"}));
  writer->close();
  const ResultFile got = read_result_file(file);
  expect_rows(got.tasks, {a.task, b.task});
  EXPECT_EQ(got.results.size(), 3u);
  EXPECT_EQ(got.curves.size(), 3u);
}

TEST_F(ResultSweep, SweepWriterRefusesRowsWithoutKey) {
  auto writer = ResultWriter::open_sweep(path("s.h5"), {}, "fp", false);
  ResultRow r = result_row(0);
  r.key = "";
  EXPECT_NE(message_of<IoError>([&] { writer->append_results({r}); }).find("without a key"),
            std::string::npos);
  CurveRow c = curve_row(0);
  c.key = "";
  EXPECT_THROW(writer->append_curve({c}), IoError);
  writer->close();
  // A single run's file (create) keeps allowing them: its rows belong to no task.
  auto single = ResultWriter::create(path("single.h5"), {});
  single->append_results({r});
  single->close();
}

}  // namespace
}  // namespace fineprune
