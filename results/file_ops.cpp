// Table creation, string attributes and the fsync-rename-fsync replace of result files.
#include "results/file_ops.h"

#include <fcntl.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "results/hdf5_handle.h"

namespace fineprune::results_detail {
namespace {

// Rows per chunk. Appending one row at a time (the master writes as tasks finish) touches one
// chunk instead of growing the file a row at a time; with the checksum filter every flush
// rewrites and re-checksums the whole chunk, so chunks stay small: 256 rows (256 KiB of tasks
// rows) cut the master's dispatch rate from ~8,000 to ~3,000 tasks/s, 32 rows keep it
// (bench/README.md).
constexpr hsize_t kChunkRows = 32;
// Result files are small (thousands of rows): no compression, which keeps them readable by any
// HDF5 build, including ones without the deflate filter (Fletcher-32 is built into every one).

// fsync of a file or folder. EINVAL: the file system cannot sync this kind of file (some do
// not for folders); nothing more can be done there, so it is not an error.
void sync_path(const std::string& path, bool folder, const std::string& what) {
  const int fd = ::open(path.c_str(), folder ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw IoError(path, "cannot open to sync " + what + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) {
    throw IoError(path, "fsync of " + what + " failed: " + std::strerror(err));
  }
}

}  // namespace

void make_table(hid_t file, const TableLayout& layout, const std::string& path) {
  // Made by hand rather than with H5TBmake_table, which cannot add the checksum filter; the
  // attributes below are the ones H5TB and PyTables write, so both still see an H5TB table.
  const std::string what = std::string("table '") + layout.name + "'";
  Handle type = owned(H5Tcreate(H5T_COMPOUND, layout.record_size), H5Tclose, "H5Tcreate " + what, path);
  for (const auto& field : layout.fields) {
    Handle member = owned(file_type_for(field), H5Tclose,
                          std::string("creating the type of column '") + field.name + "'", path);
    check(H5Tinsert(type.get(), field.name, field.offset, member.get()), "H5Tinsert " + what, path);
  }
  const hsize_t empty = 0, unlimited = H5S_UNLIMITED, chunk = kChunkRows;
  Handle space = owned(H5Screate_simple(1, &empty, &unlimited), H5Sclose, "H5Screate_simple " + what, path);
  Handle dcpl = owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate " + what, path);
  check(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk " + what, path);
  // Each chunk carries a Fletcher-32 checksum that HDF5 verifies on every read (ours, h5py's,
  // PyTables'): changed bytes in a table are an error, never numbers.
  check(H5Pset_fletcher32(dcpl.get()), "H5Pset_fletcher32 " + what, path);
  Handle table = owned(H5Dcreate2(file, layout.name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                       H5Dclose, "H5Dcreate2 " + what, path);
  const auto set = [&](const std::string& name, const std::string& value) {
    check(H5LTset_attribute_string(file, layout.name, name.c_str(), value.c_str()),
          "H5LTset_attribute_string " + name + " of " + what, path);
  };
  set("CLASS", "TABLE");
  set("VERSION", "3.0");
  set("TITLE", layout.name);
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    set("FIELD_" + std::to_string(i) + "_NAME", layout.fields[i].name);
  }
  check(table.close(), "H5Dclose " + what, path);
}

hid_t file_creation_access(const std::string& path) {
  const hid_t fapl = check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path);
  // The 1.8 format: its superblock and object headers carry checksums that HDF5 verifies, so a
  // changed byte in the file's structure is an error too. Not "latest" (1.10): that superblock
  // marks the file open-for-write, and a file left by a crashed writer would refuse to open.
  if (H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
    H5Pclose(fapl);
    throw_hdf5_failure("H5Pset_libver_bounds", path);
  }
  return fapl;
}

void write_string_attribute(hid_t loc, const std::string& name, const std::string& value,
                            const std::string& path) {
  if (value.find('\0') != std::string::npos) {
    throw IoError(path, "attribute '" + name + "': value holds a NUL byte");
  }
  const std::string what = "attribute '" + name + "'";
  // Delete and re-create rather than overwrite: the old one may be of another string type.
  if (check(H5Aexists(loc, name.c_str()), "H5Aexists " + what, path) > 0) {
    check(H5Adelete(loc, name.c_str()), "H5Adelete " + what, path);
  }
  Handle type = owned(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy for " + what, path);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size for " + what, path);
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset for " + what, path);
  Handle space = owned(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate for " + what, path);
  Handle attr =
      owned(H5Acreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, "H5Acreate2 " + what, path);
  const char* data = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &data), "H5Awrite " + what, path);
  check(attr.close(), "H5Aclose " + what, path);
}

void replace_file(const std::string& from, const std::string& to) {
  sync_path(from, false, "the new file");
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw IoError(to, "cannot rename " + from + " over it: " + std::strerror(errno));
  }
  const std::filesystem::path parent = std::filesystem::path(to).parent_path();
  sync_path(parent.empty() ? "." : parent.string(), true, "its folder after the rename");
}

void copy_file_atomically(const std::string& from, const std::string& tmp, const std::string& to) {
  std::error_code error;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    remove_quietly(tmp);
    throw IoError(tmp, "cannot copy " + from + " here: " + error.message());
  }
  try {
    replace_file(tmp, to);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
}

void remove_quietly(const std::string& path) noexcept { std::remove(path.c_str()); }

}  // namespace fineprune::results_detail
