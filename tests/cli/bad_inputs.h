// The bad inputs that every command must refuse before any work (exit 2, the file and key path
// named, an existing output untouched): tiny data and sweep files made by the tests, shared by
// the `experiment` and `plan` tests (tests/cli) and the `mpirun ... run` test (tests/mpi).
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace fineprune::bad_inputs {

// What one case set up in its folder.
struct Prepared {
  std::string config;                     // the YAML file to pass
  std::vector<std::string> must_mention;  // stderr must hold each (the file, the key path...)
  std::string out;   // the --out to pass; empty: the test's own pre-existing output file
  bool plan_reads_out = true;  // false: plan only reads --out, so this case means nothing to it
};

struct Case {
  const char* name;
  Prepared (*prepare)(const std::string& dir);  // dir: an empty folder of the case's own
};

// GoogleTest prints a case by its name.
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Every case; none needs the Fashion-MNIST files.
const std::vector<Case>& cases();

// A valid sweep file over tiny IDX data written into `dir` (60 training and 20 test 28x28
// images of 10 classes, a [4, 8, 8] CNN, one BadNets attack, 1 epoch): for tests that need a
// sweep that would run. `replace` pairs change its text ("from", "to").
std::string write_tiny_setup(const std::string& dir,
                             const std::vector<std::pair<std::string, std::string>>& replace = {});

}  // namespace fineprune::bad_inputs
