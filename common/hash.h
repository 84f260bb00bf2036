// SHA-256 (FIPS 180-4), for content keys of tasks and fingerprints of sweeps. No dependencies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace fineprune {

// Incremental SHA-256. Contract: update() any number of times, then digest() once; after
// digest() the object must not be updated again (it throws Error if it is).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& text) { update(text.data(), text.size()); }
  std::array<uint8_t, 32> digest();
  std::string hex_digest();  // 64 lower-case hex digits

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;     // bytes waiting in buffer_
  uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// The SHA-256 of `text` as 64 lower-case hex digits.
std::string sha256_hex(const std::string& text);

}  // namespace fineprune
