// Typed, path-aware reading of YAML config values: every failure names the file, key path and line.
//
// Generic (knows nothing of experiments): experiment_spec_yaml.cpp builds on it. Absent keys are
// explicit (Field::present) so callers keep struct defaults without yaml-cpp's zombie nodes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune {

// A YAML value together with where it sits in the file, so every message can point at it.
class Field {
 public:
  // `line` (1-based) overrides the node's own line: a null value has none worth showing.
  Field(std::string file, YAML::Node node, std::string path, bool present, int line = 0);

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }
  bool present() const { return present_; }  // false for a key the file does not set
  int line() const { return line_; }  // 1-based; 0 = unknown. An absent key has its map's line.

  // Throws ConfigError(file, path, problem + " (line N)"); the line is left out when unknown.
  // The root map's empty path is written "<root>".
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  std::string file_;
  YAML::Node node_;
  std::string path_;
  bool present_;
  int line_;  // 1-based; 0 = unknown
};

// A map whose keys were checked against a fixed list on construction: unknown keys, duplicate
// keys and non-string keys are errors naming their path.
class MapReader {
 public:
  MapReader(const Field& field, std::vector<std::string> known);

  // The value under `key` (which must be one of `known`), or an absent Field.
  Field get(const std::string& key) const;
  bool has(const std::string& key) const { return get(key).present(); }
  const Field& field() const { return field_; }

 private:
  Field field_;
  std::vector<std::string> known_;
};

// "a list", "a map", "nothing (null)" or "'text'": what a node holds, for type errors.
std::string describe_node(const YAML::Node& node);

// Shortest text that reads back as the same value ("1.5", "0.1", "-3").
std::string format_number(double value);
std::string format_number(int64_t value);

// Typed reads of a present field; wrong types are errors ("expected an integer, got '1.5'").
std::string read_string(const Field& f);
int64_t read_int(const Field& f);  // decimal only: "010" is 10, not octal
double read_double(const Field& f);  // finite only
bool read_bool(const Field& f);
std::vector<Field> read_list(const Field& f);  // items get paths "key[0]", "key[1]", ...

// Assign `out` only when the field is present, so struct defaults survive absent keys.
void read_into(const Field& f, std::string& out);
void read_into(const Field& f, int64_t& out);
void read_into(const Field& f, double& out);
void read_into(const Field& f, bool& out);
void read_into(const Field& f, std::vector<std::string>& out);
void read_into(const Field& f, std::vector<int64_t>& out);
void read_into(const Field& f, std::vector<double>& out);

// Range checks. Written so that NaN fails them all.
void check_at_least(const Field& f, int64_t value, int64_t min);  // "must be >= min, got v"
void check_at_least(const Field& f, double value, double min);
void check_above(const Field& f, double value, double min);  // "must be > min, got v"
// "must be in [lo, hi), got v": brackets follow the inclusive flags.
void check_range(const Field& f, double value, double lo, bool lo_inclusive, double hi,
                 bool hi_inclusive);
// "unknown value 'x' (known: a, b, c)".
void check_one_of(const Field& f, const std::string& value, const std::vector<std::string>& known);

std::string join(const std::vector<std::string>& items, const std::string& separator);

}  // namespace fineprune
