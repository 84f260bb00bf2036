// RAII ownership of HDF5 ids and the one place that turns a failed HDF5 call into an IoError.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

namespace fineprune::results_detail {

// Stops HDF5 from printing its error stack to stderr: failures reach the user as exceptions
// carrying the innermost HDF5 message instead. Cheap; call at every entry point.
void silence_hdf5_errors();

// The innermost message on HDF5's error stack ("" when the stack is empty); clears the stack.
std::string take_hdf5_message();

// Throws IoError "<file>: <call> failed: <HDF5's message>" when `status` is negative, else
// returns it; DamagedFileError (exit code 2) instead when HDF5 found a checksum that does not
// match (a table's Fletcher-32, the file's metadata). Works for herr_t, hid_t and htri_t alike.
[[noreturn]] void throw_hdf5_failure(const std::string& call, const std::string& file);
template <typename Status>
Status check(Status status, const std::string& call, const std::string& file) {
  if (status < 0) throw_hdf5_failure(call, file);
  return status;
}

// Owns one HDF5 id and closes it with the matching H5?close. Closing in the destructor ignores
// errors (destructors never throw); close() reports them.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  // Closes now; the handle is empty afterwards whatever the outcome.
  herr_t close() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = -1;
    return status;
  }
  void reset() noexcept {
    if (close() < 0) H5Eclear2(H5E_DEFAULT);
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Checked open-and-own: `call` names the HDF5 function in the error message.
inline Handle owned(hid_t id, Handle::Closer closer, const std::string& call,
                    const std::string& file) {
  return Handle(check(id, call, file), closer);
}

}  // namespace fineprune::results_detail
