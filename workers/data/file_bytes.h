// Internal to workers/data: reading a whole plain file with errors that name it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune::data_internal {

// Size in bytes of a regular file. Throws DataError(path, ...) when it is missing, not a regular
// file, or cannot be examined; callers check the size against what they expect before reading.
uint64_t regular_file_size(const std::string& path);

// The file's whole content. Throws DataError when it is missing or cannot be read in full.
std::vector<unsigned char> read_file_bytes(const std::string& path);

// "0x%08x": magic numbers in messages.
std::string hex32(uint32_t value);

}  // namespace fineprune::data_internal
