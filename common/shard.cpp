// Shard names (contract in shard.h).
#include "common/shard.h"

#include "common/error.h"

namespace fineprune {

std::string Shard::text() const { return std::to_string(index) + "/" + std::to_string(count); }

Shard parse_shard(const std::string& text, const std::string& flag) {
  const auto bad = [&](const std::string& why) {
    return InputError(flag + " " + text + ": " + why + " (expected I/K with 0 <= I < K, e.g. 0/2)");
  };
  const size_t slash = text.find('/');
  if (slash == std::string::npos) throw bad("no '/'");
  const std::string i = text.substr(0, slash), k = text.substr(slash + 1);
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(i) || !digits(k)) throw bad("I and K must be whole numbers");
  Shard shard{std::stoi(i), std::stoi(k)};
  if (shard.count < 1) throw bad("K must be at least 1");
  if (shard.index >= shard.count) throw bad("I must be less than K");
  return shard;
}

}  // namespace fineprune
