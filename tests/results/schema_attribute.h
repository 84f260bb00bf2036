// For the result-store tests that write HDF5 files with the C API (test_results only: the other
// result tests need no HDF5 headers): the "schema" attribute by which a file names its layout.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>

namespace fineprune::testing_rows {

// Writes the scalar string attribute "schema" = `schema` on the open HDF5 file `file` (which must
// not have one): how a file of another version or program announces itself.
inline void write_schema_attribute(hid_t file, const char* schema) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, std::strlen(schema));
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(file, "schema", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  EXPECT_GE(H5Awrite(attr, type, schema), 0);
  H5Aclose(attr);
  H5Sclose(scalar);
  H5Tclose(type);
}

}  // namespace fineprune::testing_rows
