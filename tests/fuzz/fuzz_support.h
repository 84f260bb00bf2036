// Shared harness of the loader fuzz targets: a scratch file per process, the error contract
// check, and seed writing (a target run with FINEPRUNE_FUZZ_SEEDS=<dir> writes its seeds, exits).
//
// The contract every loader must keep on any input: return normally or throw a fineprune::Error
// (common/error.h). Anything else is a finding and aborts here with the exception's type, so
// libFuzzer saves the input: another exception type escaping (c10::Error, std::out_of_range,
// YAML::Exception, ...); crashes, sanitizer reports, hangs (-timeout) and huge allocations
// (-malloc_limit_mb) are caught by libFuzzer itself.
#pragma once

#include <cxxabi.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <typeinfo>

#include "common/error.h"

namespace fineprune::fuzz {

// A folder of this process's own under /dev/shm (or $TMPDIR), removed at exit. The path is
// never freed: the exit handler runs after the destructors of statics made before it.
inline const std::string& scratch_dir() {
  static const std::string* dir = [] {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm")
                                                     : fs::temp_directory_path();
    fs::path d = base / ("fineprune-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] { std::error_code ignored; std::filesystem::remove_all(scratch_dir(), ignored); });
    return new std::string(d.string());
  }();
  return *dir;
}

// The path of scratch file `name` (same path on every call, so inputs overwrite each other).
inline std::string scratch_path(const std::string& name) { return scratch_dir() + "/" + name; }

inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
    std::abort();
  }
}

inline std::string demangled(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = status == 0 && name != nullptr ? name : t.name();
  std::free(name);
  return s;
}

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "\n==== FINDING: %s\n", what.c_str());
  std::abort();
}

// True when environment variable `name` is set to something other than "" or "0".
inline bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' && v[0] != '0';
}

// Findings reported but not fixed yet are tolerated so that fuzzing goes on past them, each
// where its target names it with a TODO; FINEPRUNE_FUZZ_STRICT=1 makes them findings again (the
// fuzz_regressions tests run the reproducers that way, and pass once the fixes are in).
inline bool strict() {
  static const bool on = env_flag("FINEPRUNE_FUZZ_STRICT");
  return on;
}

// Returns normally for a tolerated known finding `id` (saying so once), or aborts in strict mode.
inline void known_finding(const char* id, const std::string& what) {
  if (strict()) finding(std::string("known finding ") + id + " not fixed: " + what);
  static std::set<std::string>* said = new std::set<std::string>;  // never freed: see scratch_dir
  const std::string head = std::string(id) + ": " + what.substr(0, what.find(':'));
  if (said->insert(head).second) {
    std::fprintf(stderr, "fuzz: tolerating known finding %s: %s\n", id, what.c_str());
  }
}

// No known finding: every exception other than fineprune::Error is a finding.
inline const char* no_known_finding(const std::exception&) { return nullptr; }

// Runs `load` and enforces the contract: normal return or a fineprune::Error, whose message must
// not be empty (a refusal must say why). `known(e)` names a tolerated finding, or returns null.
template <typename Load, typename Known = decltype(&no_known_finding)>
void expect_clean(Load&& load, Known known = &no_known_finding) {
  try {
    load();
  } catch (const fineprune::Error& e) {
    if (e.what()[0] == '\0') finding("fineprune::Error with an empty message");
  } catch (const std::exception& e) {
    const std::string what = "exception of type " + demangled(typeid(e)) +
                             " escaped the loader: " + e.what();
    if (const char* id = known(e)) {
      known_finding(id, what);
    } else {
      finding(what);
    }
  } catch (...) {
    finding("an exception of a non-std type escaped the loader");
  }
}

// Call from LLVMFuzzerInitialize: with FINEPRUNE_FUZZ_SEEDS=<dir> set, `write(dir)` writes the
// target's seed inputs into <dir> and the process exits without fuzzing.
template <typename Write>
void write_seeds_if_asked(Write&& write) {
  const char* dir = std::getenv("FINEPRUNE_FUZZ_SEEDS");
  if (dir == nullptr || dir[0] == '\0') return;
  std::filesystem::create_directories(dir);
  write(std::string(dir));
  std::exit(0);
}

inline void write_seed(const std::string& dir, const std::string& name, const std::string& bytes) {
  write_bytes(dir + "/" + name, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace fineprune::fuzz
