// Internal to workers/data: reading a whole plain file with errors that name it.
#include "workers/data/file_bytes.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "common/error.h"

namespace fineprune::data_internal {

namespace fs = std::filesystem;

uint64_t regular_file_size(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw DataError(path, "file not found");
  if (fs::is_directory(st)) throw DataError(path, "is a directory, expected a file");
  if (!fs::is_regular_file(st)) throw DataError(path, "is not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw DataError(path, "cannot read its size: " + ec.message());
  return static_cast<uint64_t>(size);
}

std::vector<unsigned char> read_file_bytes(const std::string& path) {
  // The allocation is bounded by the file's real size, never by anything the file declares.
  const uint64_t size = regular_file_size(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "cannot open for reading");
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    throw DataError(path, "read failed: expected " + std::to_string(size) + " bytes, got " +
                              std::to_string(in.gcount()));
  }
  return bytes;
}

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", value);
  return buf;
}

}  // namespace fineprune::data_internal
