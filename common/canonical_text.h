// Canonical "field=value" text of spec values: the input of content keys and fingerprints.
//
// Contract: the text is a pure function of the values written, one "name=value\n" line each, in
// the order written. Doubles are printed with %.17g (round-trips exactly: two doubles print the
// same iff they are the same value, -0 aside); strings are escaped so that no value can forge a
// line ('\\' -> "\\\\", '\n' -> "\\n"); lists are written as "name.size=N" then "name.I=value".
// Changing what is written for a given spec changes every key: bump kCanonicalSchema when doing so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/experiment_spec.h"

namespace fineprune {

// First line of every canonical text; names the format of what follows.
inline constexpr const char* kCanonicalSchema = "fineprune-canonical/1";

class CanonicalText {
 public:
  CanonicalText();  // starts with the "schema=" line

  void add(const std::string& name, const std::string& value);
  void add(const std::string& name, const char* value) { add(name, std::string(value)); }
  void add(const std::string& name, int64_t value);
  void add(const std::string& name, double value);
  void add(const std::string& name, bool value);
  void add(const std::string& name, const std::vector<std::string>& values);
  void add(const std::string& name, const std::vector<int64_t>& values);
  void add(const std::string& name, const std::vector<double>& values);

  const std::string& str() const { return text_; }
  std::string sha256() const;  // sha256_hex(str())

 private:
  void line(const std::string& name, const std::string& raw_value);
  std::string text_;
};

// Every field of each spec part, under `prefix` ("data", "attack", ...). A field added to a spec
// struct must be added here too, or changing it would not change the keys. (add_model writes a
// model's label only where it is not its architecture name.)
void add_data(CanonicalText& out, const std::string& prefix, const DataSpec& d);
void add_model(CanonicalText& out, const std::string& prefix, const ModelSpec& m);
void add_train(CanonicalText& out, const std::string& prefix, const TrainSpec& t);
void add_attack(CanonicalText& out, const std::string& prefix, const AttackSpec& a);
void add_pruning(CanonicalText& out, const std::string& prefix, const PruningSpec& p);

}  // namespace fineprune
