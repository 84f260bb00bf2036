// Zip entries: the end of central directory record (zip64 where the sizes need it), each
// central directory entry, its local header and its data's CRC-32.
#include "workers/models/zip_entries.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

#include "common/error.h"

namespace fineprune {
namespace {

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : b_(bytes), path_(path) {}
  uint64_t u(uint64_t at, int n) const {
    if (at > b_.size() || static_cast<uint64_t>(n) > b_.size() - at) fail("a zip structure reaches past the file's end");
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(b_[at + static_cast<uint64_t>(k)]);
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": " + what + " (a damaged or truncated file)");
  }
  size_t size() const { return b_.size(); }
  const char* data(uint64_t at) const { return b_.data() + at; }

 private:
  const std::string& b_;
  const std::string& path_;
};

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr uint32_t kMax32 = 0xffffffffu;

}  // namespace

std::map<std::string, ZipEntry> read_zip_entries(const std::string& bytes, const std::string& path) {
  std::map<std::string, ZipEntry> out;
  const Reader r(bytes, path);
  // The end record: 22 bytes plus a comment of at most 65535, at the very end.
  if (bytes.size() < 22) {
    throw InputError(path + ": not a zip archive written by torch.save (" + std::to_string(bytes.size()) + " bytes)");
  }
  uint64_t end = bytes.size() - 22;
  const uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  while (r.u(end, 4) != kEndOfDirectory) {
    if (end == lowest) {
      throw InputError(path + ": not a zip archive written by torch.save (no end of central directory record; "
                       "the pre-1.6 format, another file, or one cut short)");
    }
    --end;
  }
  uint64_t entries = r.u(end + 10, 2), offset = r.u(end + 16, 4);
  if (offset == kMax32 || entries == 0xffff) {  // zip64: the locator sits right before the end record
    if (end < 20 || r.u(end - 20, 4) != kZip64Locator) r.fail("a zip64 archive without its locator");
    const uint64_t record = r.u(end - 20 + 8, 8);
    if (r.u(record, 4) != kZip64End) r.fail("no zip64 end record where its locator points");
    entries = r.u(record + 32, 8);
    offset = r.u(record + 48, 8);
  }
  uint64_t at = offset;
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.u(at, 4) != kDirectoryEntry) r.fail("central directory entry " + std::to_string(i) + " is not one");
    const uint64_t method = r.u(at + 10, 2), crc = r.u(at + 16, 4);
    uint64_t stored = r.u(at + 20, 4), size = r.u(at + 24, 4), local = r.u(at + 42, 4);
    const uint64_t name_length = r.u(at + 28, 2), extra_length = r.u(at + 30, 2), comment = r.u(at + 32, 2);
    const std::string name(r.data(at + 46), static_cast<size_t>(std::min<uint64_t>(name_length, r.size() - at - 46)));
    // zip64 sizes and offset, in that order, for the fields that overflowed.
    for (uint64_t e = at + 46 + name_length; e + 4 <= at + 46 + name_length + extra_length;) {
      const uint64_t id = r.u(e, 2), length = r.u(e + 2, 2);
      if (id == 1) {
        uint64_t f = e + 4;
        if (size == kMax32) { size = r.u(f, 8); f += 8; }
        if (stored == kMax32) { stored = r.u(f, 8); f += 8; }
        if (local == kMax32) local = r.u(f, 8);
      }
      e += 4 + length;
    }
    if ((r.u(at + 38, 4) & 0x10) != 0 || name.empty() || name.back() == '/') {
      r.fail("entry '" + name + "' is a directory, which torch.save never writes");
    }
    if ((r.u(at + 8, 2) & 1) != 0) r.fail("entry '" + name + "' is encrypted");
    if (method != 0 || stored != size) {
      r.fail("entry '" + name + "' is compressed (method " + std::to_string(method) + "), which torch.save never writes");
    }
    if (r.u(local, 4) != kLocalHeader) r.fail("entry '" + name + "' has no local header where the directory says");
    const uint64_t start = local + 30 + r.u(local + 26, 2) + r.u(local + 28, 2);
    if (start > r.size() || size > r.size() - start) r.fail("entry '" + name + "' reaches past the file's end");
    uLong sum = crc32(0L, Z_NULL, 0);
    for (uint64_t done = 0; done < size;) {  // zlib takes 32-bit lengths
      const uInt chunk = static_cast<uInt>(std::min<uint64_t>(size - done, 1u << 30));
      sum = crc32(sum, reinterpret_cast<const Bytef*>(r.data(start + done)), chunk);
      done += chunk;
    }
    if (sum != crc) r.fail("entry '" + name + "' fails its CRC-32 check");
    if (!out.emplace(name, ZipEntry{start, size}).second) r.fail("entry '" + name + "' appears twice");
    at += 46 + name_length + extra_length + comment;
  }
  return out;
}

}  // namespace fineprune
