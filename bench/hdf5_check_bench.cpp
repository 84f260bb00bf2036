// The up-front check of an HDF5 data file, timed by its parts: the chunk check alone (every
// filtered chunk read raw and inflated by fineprune, hdf5_chunk_check.h), the whole scan (labels,
// chunk check, every pixel through libhdf5) and the load a task does. CPU time of this process
// (the scan runs in-process here; fineprune runs it in a forked child) and wall time, best of N.
//
//   build/bench/hdf5_check_bench [--repeats N] FILE.h5 [FILE.h5 ...]   (datasets data, label; NHWC)
#include <hdf5.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "workers/data/hdf5_chunk_check.h"
#include "workers/data/image_set.h"

namespace {

struct Timing {
  double cpu_s = 1e30, wall_s = 1e30;
};

Timing best_of(int repeats, const std::function<void()>& work) {
  Timing best;
  for (int i = 0; i < repeats; ++i) {
    const std::clock_t c0 = std::clock();
    const auto w0 = std::chrono::steady_clock::now();
    work();
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (cpu < best.cpu_s) best.cpu_s = cpu;
    if (wall < best.wall_s) best.wall_s = wall;
  }
  return best;
}

void chunk_check(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t ds = H5Dopen2(file, "data", H5P_DEFAULT);
  const hid_t type = H5Dget_type(ds);
  const std::string problem = fineprune::hdf5_chunk_problem(ds, H5Tget_size(type), 1ull << 40);
  H5Tclose(type);
  H5Dclose(ds);
  H5Fclose(file);
  if (!problem.empty()) std::fprintf(stderr, "%s: %s\n", path.c_str(), problem.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::stoi(argv[++i]);
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: hdf5_check_bench [--repeats N] FILE.h5 [FILE.h5 ...]\n");
    return 2;
  }
  std::printf("| file | part | CPU s | wall s |\n|---|---|---:|---:|\n");
  for (const std::string& f : files) {
    const std::vector<std::pair<const char*, std::function<void()>>> parts = {
        {"chunk check alone", [&] { chunk_check(f); }},
        {"scan (labels, chunk check, every pixel)", [&] { fineprune::scan_hdf5_images(f, "data", "label", "nhwc"); }},
        {"load (as a task does)", [&] { fineprune::load_hdf5_images(f, "data", "label", "nhwc", 0); }},
    };
    for (const auto& [name, work] : parts) {
      const Timing t = best_of(repeats, work);
      std::printf("| %s | %s | %.3f | %.3f |\n", f.c_str(), name, t.cpu_s, t.wall_s);
    }
  }
  return 0;
}
