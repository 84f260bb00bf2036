// The entries of a zip archive held in memory (a torch.save file), each checked against the CRC-32
// the archive records for it. fineprune reads torch.save files through this, not through
// LibTorch's reader, which checks no CRC and takes an entry whose attributes mark a directory for
// an empty one: a changed byte would read as a different or a zero weight.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace fineprune {

struct ZipEntry {
  uint64_t offset = 0;  // of its data in the archive's bytes
  uint64_t size = 0;
};

// Every entry of the central directory by name: a stored file (uncompressed, as torch.save writes
// them), within the bytes, its data matching its CRC-32, no name twice. InputError "<path>: ..."
// naming the entry otherwise, or saying the bytes are not a zip archive at all.
std::map<std::string, ZipEntry> read_zip_entries(const std::string& bytes, const std::string& path);

}  // namespace fineprune
