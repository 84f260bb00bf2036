// HDF5 error-stack handling: silence the automatic printer, turn the stack into IoError text.
#include "results/hdf5_handle.h"

#include "common/error.h"

namespace fineprune::results_detail {

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string take_hdf5_message() {
  std::string innermost;
  // Walking upward, entry 0 is where the failure was detected: for a missing file that is the
  // driver's "errno = 2, No such file or directory", far more useful than the API-level wrapper.
  auto visit = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, visit, &innermost);
  H5Eclear2(H5E_DEFAULT);
  return innermost;
}

void throw_hdf5_failure(const std::string& call, const std::string& file) {
  // A checksum that HDF5 verified and found wrong (a table's Fletcher-32 filter, the 1.8
  // format's metadata checksums), or a file shorter than its superblock says, is damage,
  // reported wherever on the stack it was noticed.
  bool damaged = false;
  auto visit = [](unsigned, const H5E_error2_t* err, void* data) -> herr_t {
    const std::string desc = err->desc != nullptr ? err->desc : "";
    if (desc.find("checksum") != std::string::npos || desc.find("truncated file") != std::string::npos) {
      *static_cast<bool*>(data) = true;
    }
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, visit, &damaged);
  const std::string detail = take_hdf5_message();
  if (damaged) {
    throw DamagedFileError(file, "damaged: " + call + " failed (" + detail +
                                     "): the file's bytes changed after it was written (a checksum failed or it was "
                                     "cut short); nothing of it was used");
  }
  throw IoError(file, call + " failed" + (detail.empty() ? "" : ": " + detail));
}

}  // namespace fineprune::results_detail
