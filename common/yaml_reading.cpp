// Typed, path-aware reading of YAML config values (see yaml_reading.h).
#include "common/yaml_reading.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "common/error.h"

namespace fineprune {

Field::Field(std::string file, YAML::Node node, std::string path, bool present, int line)
    : file_(std::move(file)),
      node_(std::move(node)),
      path_(std::move(path)),
      present_(present),
      // yaml-cpp counts lines from 0; a default-constructed node has line -1.
      line_(line > 0 ? line : (present ? node_.Mark().line + 1 : 0)) {}

void Field::fail(const std::string& problem) const {
  const std::string path = path_.empty() ? "<root>" : path_;
  if (line_ > 0) throw ConfigError(file_, path, problem + " (line " + std::to_string(line_) + ")");
  throw ConfigError(file_, path, problem);
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing (null)";
  }
}

std::string format_number(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  char buffer[64];
  // Without a precision, to_chars writes the shortest text that round-trips: 0.1, not 0.1000...01.
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string format_number(int64_t value) { return std::to_string(value); }

// The key path of `key` inside the map at `path` (the root map has an empty path).
static std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

MapReader::MapReader(const Field& field, std::vector<std::string> known)
    : field_(field), known_(std::move(known)) {
  if (!field.node().IsMap()) field.fail("expected a map, got " + describe_node(field.node()));
  std::vector<std::string> seen;
  for (const auto& entry : field.node()) {
    const Field key_field(field.file(), entry.first, field.path(), true);
    if (!entry.first.IsScalar()) key_field.fail("map keys must be plain names, got " +
                                                describe_node(entry.first));
    const std::string key = entry.first.Scalar();
    const Field at(field.file(), entry.first, child_path(field.path(), key), true);
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      at.fail("unknown key (known: " + join(known_, ", ") + ")");
    }
    // yaml-cpp keeps both copies of a repeated key and lookups see only the first: refuse it.
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) at.fail("key given twice");
    seen.push_back(key);
  }
}

Field MapReader::get(const std::string& key) const {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
    throw std::logic_error("MapReader::get: '" + key + "' is not in the known keys of '" +
                           field_.path() + "'");
  }
  const std::string path = child_path(field_.path(), key);
  // Iterate instead of operator[]: a const lookup of a missing key yields an invalid "zombie"
  // node whose Mark() throws.
  for (const auto& entry : field_.node()) {
    if (entry.first.Scalar() != key) continue;
    // An empty value's mark lies after the key, often on the next line: point at the key.
    const int line = entry.second.IsNull() ? entry.first.Mark().line + 1 : 0;
    return Field(field_.file(), entry.second, path, true, line);
  }
  // "required" errors on a missing key then point at the map that lacks it.
  return Field(field_.file(), YAML::Node(), path, false, field_.line());
}

std::string read_string(const Field& f) {
  if (!f.node().IsScalar()) f.fail("expected a string, got " + describe_node(f.node()));
  return f.node().Scalar();
}

int64_t read_int(const Field& f) {
  if (!f.node().IsScalar()) f.fail("expected an integer, got " + describe_node(f.node()));
  std::string text = f.node().Scalar();
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  int64_t value = 0;
  // from_chars, not yaml-cpp's as<>: that reads "010" as octal and "0x10" as hex.
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc::result_out_of_range) f.fail("integer out of range: " + text);
  if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    f.fail("expected an integer, got " + describe_node(f.node()));
  }
  return value;
}

double read_double(const Field& f) {
  if (!f.node().IsScalar()) f.fail("expected a number, got " + describe_node(f.node()));
  std::string text = f.node().Scalar();
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  double value = 0.0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    f.fail("expected a finite number, got " + describe_node(f.node()));
  }
  return value;
}

bool read_bool(const Field& f) {
  bool value = false;
  // yaml-cpp's bool conversion accepts true/false, yes/no, on/off in their usual spellings.
  if (!f.node().IsScalar() || !YAML::convert<bool>::decode(f.node(), value)) {
    f.fail("expected true or false, got " + describe_node(f.node()));
  }
  return value;
}

std::vector<Field> read_list(const Field& f) {
  if (!f.node().IsSequence()) f.fail("expected a list, got " + describe_node(f.node()));
  std::vector<Field> items;
  for (size_t i = 0; i < f.node().size(); ++i) {
    items.emplace_back(f.file(), f.node()[i], f.path() + "[" + std::to_string(i) + "]", true);
  }
  return items;
}

void read_into(const Field& f, std::string& out) {
  if (f.present()) out = read_string(f);
}
void read_into(const Field& f, int64_t& out) {
  if (f.present()) out = read_int(f);
}
void read_into(const Field& f, double& out) {
  if (f.present()) out = read_double(f);
}
void read_into(const Field& f, bool& out) {
  if (f.present()) out = read_bool(f);
}
void read_into(const Field& f, std::vector<std::string>& out) {
  if (!f.present()) return;
  out.clear();
  for (const Field& item : read_list(f)) out.push_back(read_string(item));
}
void read_into(const Field& f, std::vector<int64_t>& out) {
  if (!f.present()) return;
  out.clear();
  for (const Field& item : read_list(f)) out.push_back(read_int(item));
}
void read_into(const Field& f, std::vector<double>& out) {
  if (!f.present()) return;
  out.clear();
  for (const Field& item : read_list(f)) out.push_back(read_double(item));
}

void check_at_least(const Field& f, int64_t value, int64_t min) {
  if (!(value >= min)) f.fail("must be >= " + format_number(min) + ", got " + format_number(value));
}

void check_at_least(const Field& f, double value, double min) {
  if (!(value >= min)) f.fail("must be >= " + format_number(min) + ", got " + format_number(value));
}

void check_above(const Field& f, double value, double min) {
  if (!(value > min)) f.fail("must be > " + format_number(min) + ", got " + format_number(value));
}

void check_range(const Field& f, double value, double lo, bool lo_inclusive, double hi,
                 bool hi_inclusive) {
  const bool above = lo_inclusive ? value >= lo : value > lo;
  const bool below = hi_inclusive ? value <= hi : value < hi;
  if (!(above && below)) {
    f.fail(std::string("must be in ") + (lo_inclusive ? "[" : "(") + format_number(lo) + ", " +
           format_number(hi) + (hi_inclusive ? "]" : ")") + ", got " + format_number(value));
  }
}

void check_one_of(const Field& f, const std::string& value, const std::vector<std::string>& known) {
  if (std::find(known.begin(), known.end(), value) == known.end()) {
    f.fail("unknown value '" + value + "' (known: " + join(known, ", ") + ")");
  }
}

}  // namespace fineprune
