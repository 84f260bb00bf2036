// For the archive fuzz targets: does every stored entry of a zip file match its CRC-32?
//
// F6 (tests/fuzz/README.md): libtorch 1.13 does not check the CRCs, and its TorchScript importer
// crashes (SEGV, bad-free) on damaged source or pickle bytes. fineprune's defence is to verify
// a checkpoint's digest before libtorch parses it; the targets model that by skipping inputs
// whose entries fail their CRC, so they fuzz the archive's structure and our loaders' checks, not
// libtorch's parser. A file whose directory cannot be walked is not skipped: it goes to the loader.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>

namespace fineprune::fuzz {

inline uint32_t le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// True when the zip's central directory can be walked and some stored (uncompressed) entry's
// bytes do not match its CRC-32.
inline bool zip_has_bad_crc(const uint8_t* data, size_t size) {
  if (size < 22) return false;
  size_t end = size - 22;  // the end-of-central-directory record, found from the back
  while (le(data + end, 4) != 0x06054b50) {
    if (end == 0 || size - end > 22 + 65535) return false;
    --end;
  }
  const uint32_t entries = le(data + end + 10, 2);
  size_t at = le(data + end + 16, 4);
  for (uint32_t e = 0; e < entries; ++e) {
    if (at > size || size - at < 46 || le(data + at, 4) != 0x02014b50) return false;
    const uint32_t method = le(data + at + 10, 2), crc = le(data + at + 16, 4);
    const uint64_t stored = le(data + at + 20, 4);
    const size_t local = le(data + at + 42, 4);
    if (local > size || size - local < 30 || le(data + local, 4) != 0x04034b50) return false;
    const uint64_t begin = local + 30 + uint64_t{le(data + local + 26, 2)} + le(data + local + 28, 2);
    if (begin > size || stored > size - begin) return false;
    if (method == 0 && crc32(0L, data + begin, static_cast<uInt>(stored)) != crc) return true;
    at += 46 + size_t{le(data + at + 28, 2)} + le(data + at + 30, 2) + le(data + at + 32, 2);
  }
  return false;
}

}  // namespace fineprune::fuzz
