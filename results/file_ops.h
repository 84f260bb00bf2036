// File-level helpers shared by the writer and open_sweep: tables, attributes, atomic replace.
#pragma once

#include <hdf5.h>

#include <string>

#include "results/table_layout.h"

namespace fineprune::results_detail {

// Creates an empty H5TB table of `layout` under `file`, chunked with a Fletcher-32 checksum per
// chunk. Throws IoError naming `path`.
void make_table(hid_t file, const TableLayout& layout, const std::string& path);

// A file-access property list for creating result files (the caller owns it): the HDF5 1.8
// format, whose metadata is checksummed. Throws IoError naming `path`.
hid_t file_creation_access(const std::string& path);

// Sets a scalar variable-length UTF-8 string attribute (no size limit; h5py and PyTables read it
// as str), replacing one of the same name. Throws IoError naming `path`.
void write_string_attribute(hid_t loc, const std::string& name, const std::string& value,
                            const std::string& path);

// Makes the closed file `from` durable (fsync), renames it over `to` and syncs the folder, so
// after a crash of this process or of the machine `to` is the old file or the complete new one.
// Throws IoError naming both.
void replace_file(const std::string& from, const std::string& to);

// Copies `from` to `tmp`, then replace_file(tmp, to): `to` is never a partial copy.
void copy_file_atomically(const std::string& from, const std::string& tmp, const std::string& to);

// Removes `path` if it exists; never throws (clean-up on an error path).
void remove_quietly(const std::string& path) noexcept;

}  // namespace fineprune::results_detail
