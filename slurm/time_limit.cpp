// Slurm time limits (contract in time_limit.h).
#include "slurm/time_limit.h"

#include <vector>

#include "common/error.h"

namespace fineprune {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + 1) {
    parts.push_back(text.substr(start, at - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

long parse_time_limit(const std::string& text, const std::string& flag) {
  const auto bad = [&](const std::string& why) {
    return InputError(flag + " " + text + ": " + why +
                      " (Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S)");
  };
  const auto number = [&](const std::string& field) {
    if (field.empty() || field.size() > 7 || field.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("'" + field + "' is not a whole number");
    }
    return std::stol(field);
  };
  if (text.empty()) throw bad("empty");
  long days = 0;
  std::string clock = text;
  const size_t dash = text.find('-');
  const bool has_days = dash != std::string::npos;
  if (has_days) {
    days = number(text.substr(0, dash));
    clock = text.substr(dash + 1);
  }
  const std::vector<std::string> f = split(clock, ':');
  if (f.size() > 3) throw bad("too many ':'");
  long seconds = 0;
  if (has_days) {  // D-H, D-H:M, D-H:M:S
    seconds = number(f[0]) * 3600;
    if (f.size() > 1) seconds += number(f[1]) * 60;
    if (f.size() > 2) seconds += number(f[2]);
  } else if (f.size() == 1) {  // M
    seconds = number(f[0]) * 60;
  } else if (f.size() == 2) {  // M:S
    seconds = number(f[0]) * 60 + number(f[1]);
  } else {  // H:M:S
    seconds = number(f[0]) * 3600 + number(f[1]) * 60 + number(f[2]);
  }
  seconds += days * 86400;
  if (seconds <= 0) throw bad("must be more than 0");
  return seconds;
}

}  // namespace fineprune
