// Text encodings of the protocol's messages: one record per line, fields separated by tabs,
// tabs/newlines/backslashes escaped, doubles printed so they read back bit-identical.
#include "messaging/protocol.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/error.h"

namespace fineprune {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char n = s[++i];
      out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Writes fields in order; the same visit functions drive reading, so the order is written once.
struct Writer {
  std::string line;
  void field(const std::string& v) { add(escape(v)); }
  void field(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    add(buf);
  }
  void field(int64_t v) { add(std::to_string(v)); }
  void field(int32_t v) { add(std::to_string(v)); }
  void add(const std::string& s) {
    if (!line.empty()) line += '\t';
    line += s;
  }
};

struct Reader {
  std::vector<std::string> parts;
  size_t next = 0;
  explicit Reader(const std::string& line) {
    size_t start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      parts.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
  }
  const std::string& take() {
    if (next >= parts.size()) throw Error("protocol: message record has too few fields");
    return parts[next++];
  }
  void field(std::string& v) { v = unescape(take()); }
  void field(double& v) { v = std::strtod(take().c_str(), nullptr); }
  void field(int64_t& v) { v = std::strtoll(take().c_str(), nullptr, 10); }
  void field(int32_t& v) { v = static_cast<int32_t>(std::strtol(take().c_str(), nullptr, 10)); }
};

// A row travels as its table's columns, in order (results/result_tables.h, visit_columns).
template <class R, class V>
void visit(R& r, V& v) {
  visit_columns(r, [&v](const char*, auto& value, size_t) { v.field(value); });
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

namespace {

// The assignment's fields in order, for Writer and Reader alike; the kind and the counts travel
// as text and integers and are converted around the visit.
template <class V>
void visit_assignment(Assignment& a, std::string& kind, int64_t& model_index, int64_t& attack_index,
                      int64_t& attempt, int64_t& deps, V& v) {
  v.field(a.task.key); v.field(kind); v.field(model_index); v.field(a.task.model);
  v.field(attack_index); v.field(a.task.attack);
  v.field(a.task.seed); v.field(a.task.prune_mode); v.field(a.task.prune_rate); v.field(a.task.stop_drop);
  v.field(a.task.cost);
  v.field(attempt); v.field(deps);
}

}  // namespace

std::string encode_assignment(const Assignment& assignment) {
  Assignment a = assignment;
  std::string kind = task_kind_name(a.task);  // "train", "curve" or the defense
  int64_t model_index = static_cast<int64_t>(a.task.model_index);
  int64_t attack_index = static_cast<int64_t>(a.task.attack_index), attempt = a.attempt;
  int64_t deps = static_cast<int64_t>(a.task.deps.size());
  Writer w;
  visit_assignment(a, kind, model_index, attack_index, attempt, deps, w);
  for (const std::string& d : a.task.deps) w.field(d);
  return w.line;
}

Assignment decode_assignment(const std::string& text) {
  Reader r(text);
  Assignment a;
  std::string kind;
  int64_t model_index = 0, attack_index = 0, attempt = 0, deps = 0;
  visit_assignment(a, kind, model_index, attack_index, attempt, deps, r);
  set_task_kind_name(a.task, kind);
  a.task.model_index = static_cast<size_t>(model_index);
  a.task.attack_index = static_cast<size_t>(attack_index);
  a.attempt = static_cast<int>(attempt);
  for (int64_t i = 0; i < deps; ++i) {
    std::string d;
    r.field(d);
    a.task.deps.push_back(d);
  }
  return a;
}

std::string encode_outcome(const TaskOutcome& o) {
  Writer head;
  head.field(o.key);
  head.field(o.wall_s);
  head.field(o.host);
  head.field(static_cast<int64_t>(o.results.size()));
  head.field(static_cast<int64_t>(o.curves.size()));
  head.field(o.model_digest);
  head.field(o.note);
  std::string text = head.line + "\n";
  for (ResultRow row : o.results) {
    Writer w;
    visit(row, w);
    text += w.line + "\n";
  }
  for (CurveRow row : o.curves) {
    Writer w;
    visit(row, w);
    text += w.line + "\n";
  }
  return text;
}

TaskOutcome decode_outcome(const std::string& text) {
  const std::vector<std::string> lines = lines_of(text);
  if (lines.empty()) throw Error("protocol: empty outcome message");
  Reader head(lines[0]);
  TaskOutcome o;
  int64_t results = 0, curves = 0;
  head.field(o.key);
  head.field(o.wall_s);
  head.field(o.host);
  head.field(results);
  head.field(curves);
  head.field(o.model_digest);
  head.field(o.note);
  if (static_cast<int64_t>(lines.size()) != 1 + results + curves) {
    throw Error("protocol: outcome message for " + o.key + " has " + std::to_string(lines.size()) +
                " lines, expected " + std::to_string(1 + results + curves));
  }
  for (int64_t i = 0; i < results; ++i) {
    Reader r(lines[static_cast<size_t>(1 + i)]);
    ResultRow row;
    visit(row, r);
    o.results.push_back(row);
  }
  for (int64_t i = 0; i < curves; ++i) {
    Reader r(lines[static_cast<size_t>(1 + results + i)]);
    CurveRow row;
    visit(row, r);
    o.curves.push_back(row);
  }
  return o;
}

std::string encode_failure(const TaskFailure& f) {
  Writer w;
  w.field(f.key);
  w.field(f.host);
  w.field(f.message);
  return w.line;
}

TaskFailure decode_failure(const std::string& text) {
  Reader r(text);
  TaskFailure f;
  r.field(f.key);
  r.field(f.host);
  r.field(f.message);
  return f;
}

}  // namespace fineprune
