// run_in_child (common/child_process.h): the answer comes back, errors keep their kind and
// message, and a child that dies becomes ChildDied instead of taking the test process with it.
#include "common/child_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <string>

namespace fineprune {
namespace {

TEST(RunInChild, ReturnsTheChildsAnswerByteForByte) {
  std::string big(200000, 'x');  // larger than a pipe's buffer
  big[7] = '\0';
  EXPECT_EQ(run_in_child([&] { return big; }), big);
  EXPECT_EQ(run_in_child([] { return std::string("ok"); }), "ok");
}

TEST(RunInChild, TheChildsWritesStayInTheChild) {
  int value = 1;
  run_in_child([&] {
    value = 2;
    return std::string("done");
  });
  EXPECT_EQ(value, 1);
}

TEST(RunInChild, AnInputErrorComesBackAsAnInputErrorWithItsMessage) {
  try {
    run_in_child([]() -> std::string { throw DataError("/data/x.h5", "dataset 'label' not found"); });
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/data/x.h5: dataset 'label' not found");
  }
}

TEST(RunInChild, AnyOtherExceptionComesBackAsAnErrorThatIsNotAnInputError) {
  try {
    run_in_child([]() -> std::string { throw std::runtime_error("out of cheese"); });
    FAIL() << "no exception";
  } catch (const InputError&) {
    FAIL() << "an InputError";
  } catch (const ChildDied&) {
    FAIL() << "ChildDied";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "out of cheese");
  }
}

TEST(RunInChild, ACrashInTheChildIsChildDiedNamingTheSignal) {
  try {
    run_in_child([]() -> std::string {
      std::raise(SIGSEGV);
      return "survived";
    });
    FAIL() << "no exception";
  } catch (const ChildDied& e) {
    EXPECT_NE(std::string(e.what()).find("signal 11"), std::string::npos) << e.what();
  }
  // And the parent carries on: the next call works.
  EXPECT_EQ(run_in_child([] { return std::string("after"); }), "after");
}

TEST(RunInChild, AChildThatExitsWithoutAnAnswerIsChildDied) {
  try {
    run_in_child([]() -> std::string { ::_exit(3); });
    FAIL() << "no exception";
  } catch (const ChildDied& e) {
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fineprune
