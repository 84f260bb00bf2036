// For the archive fuzz targets: does a zip file check out, every entry matching its CRC-32?
//
// F6 (tests/fuzz/README.md): libtorch 1.13 does not check the CRCs, and its TorchScript importer
// crashes (SEGV, bad-free) on damaged source or pickle bytes. fineprune's defence is to verify
// a checkpoint's digest before libtorch parses it; the targets model that by giving the loader
// only inputs whose zip structure and CRCs check out, so they fuzz what survives such a check
// (entry names, headers, our shape checks), not libtorch's parser.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fineprune::fuzz {

inline uint32_t le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// CRC-32 of a raw deflate stream's output, or false when it does not inflate to exactly `limit`
// bytes.
inline bool inflated_crc(const uint8_t* data, size_t size, size_t limit, uint32_t& crc) {
  std::vector<unsigned char> out(limit + 1);
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return false;
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int r = inflate(&z, Z_FINISH);
  const size_t produced = z.total_out;
  inflateEnd(&z);
  if (r != Z_STREAM_END || produced != limit) return false;
  crc = crc32(0L, out.data(), static_cast<uInt>(produced));
  return true;
}

// True only when the whole zip checks out: its end record closes the file, and every entry of
// its central directory has a local header where it says and bytes that match its CRC-32
// (stored entries as they are, deflated ones once inflated).
inline bool zip_fully_verified(const uint8_t* data, size_t size) {
  if (size < 22 || le(data + size - 22, 4) != 0x06054b50) return false;  // no archive comment
  const uint8_t* eocd = data + size - 22;
  const uint32_t entries = le(eocd + 10, 2);
  size_t at = le(eocd + 16, 4);
  if (entries == 0) return false;
  for (uint32_t e = 0; e < entries; ++e) {
    if (at > size || size - at < 46 || le(data + at, 4) != 0x02014b50) return false;
    const uint32_t method = le(data + at + 10, 2), crc = le(data + at + 16, 4);
    const uint64_t stored = le(data + at + 20, 4), unpacked = le(data + at + 24, 4);
    const size_t local = le(data + at + 42, 4);
    at += 46 + size_t{le(data + at + 28, 2)} + le(data + at + 30, 2) + le(data + at + 32, 2);
    if (local > size || size - local < 30 || le(data + local, 4) != 0x04034b50) return false;
    const uint64_t begin = local + 30 + uint64_t{le(data + local + 26, 2)} + le(data + local + 28, 2);
    if (begin > size || stored > size - begin) return false;
    uint32_t found = 0;
    if (method == 0) {
      if (unpacked != stored) return false;  // libtorch allocates the unpacked size (F9)
      found = crc32(0L, data + begin, static_cast<uInt>(stored));
    } else if (method != 8 || unpacked > (1 << 20) ||  // libtorch allocates the unpacked size (F9)
               !inflated_crc(data + begin, stored, unpacked, found)) {
      return false;
    }
    if (found != crc) return false;
  }
  return true;
}

}  // namespace fineprune::fuzz
