// load_hdf5_images: image and label datasets from an HDF5 file, through the HDF5 C API.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>

#include "common/child_process.h"
#include "common/error.h"
#include "workers/data/file_bytes.h"
#include "workers/data/hdf5_chunk_check.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

// Owns one HDF5 identifier and closes it with the matching H5*close on every path, so a throw
// halfway through a load never leaks a handle (HDF5 keeps the file open while any is alive).
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  // Closes the identifier held so far and takes `id` (possibly invalid: see ok()).
  void reset(hid_t id) {
    if (id_ >= 0) close_(id_);
    id_ = id;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

// Silences HDF5's automatic error-stack printing for the duration of a load (we report errors
// ourselves) and restores whatever the process had set before.
class QuietHdf5Errors {
 public:
  QuietHdf5Errors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5Errors(const QuietHdf5Errors&) = delete;
  QuietHdf5Errors& operator=(const QuietHdf5Errors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// The innermost message on HDF5's error stack (the most specific one), then clears the stack.
std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
        return 0;
      },
      &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg.empty() ? "unknown HDF5 error" : msg;
}

// One dataset of the file, opened, with its shape and element type.
struct Dataset {
  std::string where;  // "dataset 'key'", the start of every message about it
  Handle ds{-1, H5Dclose};
  Handle type{-1, H5Tclose};
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t type_size = 0;
  bool is_signed = false;
};

void open_dataset(hid_t file, const std::string& path, const std::string& key, Dataset& d) {
  d.where = "dataset '" + key + "'";
  // H5Lexists fails (negative) when an intermediate group is missing: also "not found".
  if (key.empty() || H5Lexists(file, key.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw DataError(path, d.where + " not found");
  }
  d.ds.reset(H5Dopen2(file, key.c_str(), H5P_DEFAULT));
  if (!d.ds.ok()) throw DataError(path, d.where + " is not a dataset: " + hdf5_message());
  Handle space(H5Dget_space(d.ds.get()), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw DataError(path, d.where + ": cannot read its shape: " + hdf5_message());
  d.dims.resize(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), d.dims.data(), nullptr);
  d.type.reset(H5Dget_type(d.ds.get()));
  if (!d.type.ok()) throw DataError(path, d.where + ": cannot read its type: " + hdf5_message());
  d.type_class = H5Tget_class(d.type.get());
  d.type_size = H5Tget_size(d.type.get());
  d.is_signed = d.type_class == H5T_INTEGER && H5Tget_sign(d.type.get()) == H5T_SGN_2;
  // A chunk larger than a fixed-size dataset overruns libhdf5's own buffers in H5Dread (fuzzing
  // finding F3): refused before anything is read.
  Handle dcpl(H5Dget_create_plist(d.ds.get()), H5Pclose);
  if (dcpl.ok() && H5Pget_layout(dcpl.get()) == H5D_CHUNKED && rank > 0) {
    std::vector<hsize_t> chunk(static_cast<size_t>(rank));
    std::vector<hsize_t> max_dims(static_cast<size_t>(rank));
    if (H5Pget_chunk(dcpl.get(), rank, chunk.data()) != rank ||
        H5Sget_simple_extent_dims(space.get(), nullptr, max_dims.data()) < 0) {
      throw DataError(path, d.where + ": cannot read its chunk layout: " + hdf5_message());
    }
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == 0 || (max_dims[i] != H5S_UNLIMITED && chunk[i] > std::max<hsize_t>(max_dims[i], 1))) {
        throw DataError(path, d.where + ": chunk dimension " + std::to_string(i) + " is " + std::to_string(chunk[i]) +
                                  ", beyond the dataset's " + std::to_string(max_dims[i]) + " (a damaged file)");
      }
    }
  }
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return dims.empty() ? "scalar" : s;
}

std::string type_text(const Dataset& d) {
  switch (d.type_class) {
    case H5T_INTEGER:
      return std::string(d.is_signed ? "int" : "uint") + std::to_string(8 * d.type_size);
    case H5T_FLOAT: return "float" + std::to_string(8 * d.type_size);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "type class " + std::to_string(static_cast<int>(d.type_class));
  }
}

// The dataset's element count, refused when it cannot be backed by the bytes the file stores:
// unfiltered data must be stored in full, filtered (compressed) data can shrink at most about
// 1032:1 (deflate's limit). This keeps a corrupt or hostile header from making us allocate.
uint64_t checked_numel(const std::string& path, const Dataset& d, size_t bytes_per_element) {
  uint64_t numel = 1;
  for (const hsize_t n : d.dims) {
    if (n != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / n) {
      throw DataError(path, d.where + ": shape " + shape_text(d.dims) + " is not a real size");
    }
    numel *= n;
  }
  const uint64_t declared = numel * bytes_per_element;
  const uint64_t stored = H5Dget_storage_size(d.ds.get());
  Handle dcpl(H5Dget_create_plist(d.ds.get()), H5Pclose);
  const int filters = dcpl.ok() ? H5Pget_nfilters(dcpl.get()) : 0;
  const uint64_t bound = filters > 0 ? stored * 1040 : stored;
  if (declared > bound) {
    throw DataError(path, d.where + ": shape " + shape_text(d.dims) + " needs " +
                              std::to_string(declared) + " bytes but the file stores only " +
                              std::to_string(stored) + (filters > 0 ? " (compressed)" : ""));
  }
  return numel;
}

// What must hold before libhdf5 reads a dataset's values: its shape backed by the stored bytes
// (checked_numel, which also bounds the chunk count below by the element count), then every
// filtered chunk giving back its own size (hdf5_chunk_check.h). Returns the element count.
uint64_t checked_before_read(const std::string& path, const Dataset& d) {
  const uint64_t numel = checked_numel(path, d, d.type_size);
  const std::string problem = hdf5_chunk_problem(d.ds.get(), d.type_size, data_internal::regular_file_size(path));
  if (!problem.empty()) throw DataError(path, d.where + ": " + problem);
  return numel;
}

void read_all(const std::string& path, const Dataset& d, hid_t mem_type, void* out) {
  if (H5Dread(d.ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    throw DataError(path, d.where + ": read failed: " + hdf5_message());
  }
}

// An open image file with its two datasets checked, and the labels read.
struct OpenedImages {
  Handle file{-1, H5Fclose};
  Dataset img;
  bool is_uint8 = false;
  ImageSetInfo info;
};

// Labels as int64: integers as they are, floats (Caffe's HDF5 data layer writes labels as
// float) when they are whole numbers. Refuses negative, non-finite and fractional labels.
std::vector<int64_t> read_labels(const std::string& path, const Dataset& lab) {
  const uint64_t numel = checked_before_read(path, lab);
  std::vector<int64_t> labels;
  if (lab.type_class == H5T_INTEGER) {
    labels.resize(numel);
    read_all(path, lab, H5T_NATIVE_INT64, labels.data());
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0) {
        throw DataError(path, lab.where + ": label " + std::to_string(labels[i]) + " at index " +
                                  std::to_string(i) + " is negative");
      }
    }
    return labels;
  }
  std::vector<double> values(numel);
  read_all(path, lab, H5T_NATIVE_DOUBLE, values.data());
  labels.resize(values.size());
  // Beyond 2^31 a float label is no class index anyone means.
  constexpr double kMaxLabel = 2147483647.0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    std::string problem;
    if (!std::isfinite(v)) problem = "is not finite";
    else if (v != std::floor(v)) problem = "is not a whole number";
    else if (v < 0) problem = "is negative";
    else if (v > kMaxLabel) problem = "is too large for a class index";
    if (!problem.empty()) {
      std::ostringstream text;
      text << lab.where << ": label " << v << " at index " << i << " " << problem;
      throw DataError(path, text.str());
    }
    labels[i] = static_cast<int64_t>(v);
  }
  return labels;
}

void open_images(const std::string& path, const std::string& images_key,
                 const std::string& labels_key, const std::string& layout, OpenedImages& out) {
  if (layout != "nhwc" && layout != "nchw") {
    throw InputError("load_hdf5_images: layout must be nhwc or nchw, got '" + layout + "'");
  }
  data_internal::regular_file_size(path);  // missing / directory, with our wording
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw DataError(path, "not an HDF5 file");
  }
  out.file.reset(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!out.file.ok()) throw DataError(path, "cannot open as HDF5: " + hdf5_message());

  Dataset& img = out.img;
  open_dataset(out.file.get(), path, images_key, img);
  if (img.dims.size() != 4) {
    throw DataError(path, img.where + ": rank " + std::to_string(img.dims.size()) + " (shape " +
                              shape_text(img.dims) + "), expected rank 4 (" + layout + ")");
  }
  out.is_uint8 = img.type_class == H5T_INTEGER && img.type_size == 1 && !img.is_signed;
  const bool is_float = img.type_class == H5T_FLOAT && (img.type_size == 4 || img.type_size == 8);
  if (!out.is_uint8 && !is_float) {
    throw DataError(path, img.where + ": unsupported type " + type_text(img) +
                              ", expected uint8, float32 or float64");
  }
  const bool nhwc = layout == "nhwc";
  const hsize_t n = img.dims[0];
  const hsize_t c = nhwc ? img.dims[3] : img.dims[1];
  const hsize_t h = nhwc ? img.dims[1] : img.dims[2];
  const hsize_t w = nhwc ? img.dims[2] : img.dims[3];
  if (n == 0 || c == 0 || h == 0 || w == 0) {
    throw DataError(path, img.where + ": shape " + shape_text(img.dims) + " has an empty axis");
  }
  checked_before_read(path, img);

  Dataset lab;
  open_dataset(out.file.get(), path, labels_key, lab);
  if (!(lab.dims.size() == 1 || (lab.dims.size() == 2 && lab.dims[1] == 1))) {
    throw DataError(path, lab.where + ": rank " + std::to_string(lab.dims.size()) + " (shape " +
                              shape_text(lab.dims) + "), expected rank 1 or N x 1");
  }
  const bool float_labels = lab.type_class == H5T_FLOAT && (lab.type_size == 4 || lab.type_size == 8);
  if (lab.type_class != H5T_INTEGER && !float_labels) {
    throw DataError(path, lab.where + ": unsupported type " + type_text(lab) +
                              ", expected an integer type or float32/float64 whole numbers");
  }
  if (lab.dims[0] != n) {
    throw DataError(path, img.where + " holds " + std::to_string(n) + " images but " +
                              lab.where + " holds " + std::to_string(lab.dims[0]) + " labels");
  }
  out.info.channels = static_cast<int64_t>(c);
  out.info.height = static_cast<int64_t>(h);
  out.info.width = static_cast<int64_t>(w);
  out.info.labels = read_labels(path, lab);
}

}  // namespace

ImageSet load_hdf5_images(const std::string& path, const std::string& images_key,
                          const std::string& labels_key, const std::string& layout,
                          double scale) {
  if (!(scale >= 0.0) || !std::isfinite(scale)) {
    throw InputError("load_hdf5_images: scale must be >= 0 (0 = default), got " +
                     std::to_string(scale));
  }
  QuietHdf5Errors quiet;
  OpenedImages opened;
  open_images(path, images_key, labels_key, layout, opened);
  const Dataset& img = opened.img;
  const bool is_uint8 = opened.is_uint8;
  const bool nhwc = layout == "nhwc";
  const uint64_t c = static_cast<uint64_t>(opened.info.channels);
  const uint64_t h = static_cast<uint64_t>(opened.info.height);
  const uint64_t w = static_cast<uint64_t>(opened.info.width);

  ImageSet set;
  set.channels = opened.info.channels;
  set.height = opened.info.height;
  set.width = opened.info.width;
  set.labels = std::move(opened.info.labels);

  // Read in the file's own element kind (HDF5 converts float64 to float32 for us), then divide
  // by the scale and reorder to NCHW in one pass.
  const uint64_t numel = checked_numel(path, img, img.type_size);
  std::vector<float> src(static_cast<size_t>(numel));
  if (is_uint8) {
    std::vector<unsigned char> raw(static_cast<size_t>(numel));
    read_all(path, img, H5T_NATIVE_UINT8, raw.data());
    for (size_t i = 0; i < raw.size(); ++i) src[i] = static_cast<float>(raw[i]);
  } else {
    read_all(path, img, H5T_NATIVE_FLOAT, src.data());
  }
  const double divisor = scale > 0.0 ? scale : (is_uint8 ? 255.0 : 1.0);
  const float inv = static_cast<float>(1.0 / divisor);
  const uint64_t plane = h * w;
  const uint64_t image = c * plane;
  set.pixels.resize(static_cast<size_t>(numel));
  for (uint64_t i = 0; i < numel; ++i) {
    const float v = src[i];
    if (!std::isfinite(v)) {
      throw DataError(path, img.where + ": pixel " + std::to_string(i) + " is not finite");
    }
    uint64_t dst = i;
    if (nhwc) {  // i = ((k * h + y) * w + x) * c + ch  ->  ((k * c + ch) * h + y) * w + x
      const uint64_t k = i / image;
      const uint64_t rest = i % image;
      const uint64_t ch = rest % c;
      const uint64_t yx = rest / c;
      dst = k * image + ch * plane + yx;
    }
    set.pixels[dst] = v * inv;
  }
  return set;
}

ImageSetInfo scan_hdf5_images(const std::string& path, const std::string& images_key,
                              const std::string& labels_key, const std::string& layout) {
  QuietHdf5Errors quiet;
  OpenedImages opened;
  open_images(path, images_key, labels_key, layout, opened);
  const Dataset& img = opened.img;
  // Every pixel, a slab of images at a time (a few MB), as load_hdf5_images reads them: the
  // same decompression and conversion, so what passes here loads there; floats must be finite.
  const hsize_t n = img.dims[0];
  const uint64_t per_image = static_cast<uint64_t>(opened.info.channels * opened.info.height * opened.info.width);
  const hsize_t slab = std::max<hsize_t>(1, (4u << 20) / std::max<uint64_t>(per_image, 1));
  Handle file_space(H5Dget_space(img.ds.get()), H5Sclose);
  if (!file_space.ok()) throw DataError(path, img.where + ": cannot read its shape: " + hdf5_message());
  std::vector<float> floats;
  std::vector<unsigned char> bytes;
  for (hsize_t first = 0; first < n; first += slab) {
    const hsize_t count = std::min(slab, n - first);
    std::vector<hsize_t> start(img.dims.size(), 0), size = img.dims;
    start[0] = first;
    size[0] = count;
    Handle mem_space(H5Screate_simple(static_cast<int>(size.size()), size.data(), nullptr), H5Sclose);
    if (!mem_space.ok() || H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                               size.data(), nullptr) < 0) {
      throw DataError(path, img.where + ": cannot select images " + std::to_string(first) + ": " + hdf5_message());
    }
    const size_t numel = static_cast<size_t>(count * per_image);
    herr_t read = 0;
    if (opened.is_uint8) {
      bytes.resize(numel);
      read = H5Dread(img.ds.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT, bytes.data());
    } else {
      floats.resize(numel);
      read = H5Dread(img.ds.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT, floats.data());
    }
    if (read < 0) {
      throw DataError(path, img.where + ": read of images " + std::to_string(first) + "-" +
                                std::to_string(first + count - 1) + " failed: " + hdf5_message());
    }
    for (size_t i = 0; !opened.is_uint8 && i < numel; ++i) {
      if (!std::isfinite(floats[i])) {
        throw DataError(path, img.where + ": pixel " + std::to_string(first * per_image + i) + " is not finite");
      }
    }
  }
  return std::move(opened.info);
}

ImageSetInfo scan_hdf5_images_isolated(const std::string& path, const std::string& images_key,
                                       const std::string& labels_key, const std::string& layout) {
  std::string answer;
  try {
    answer = run_in_child([&] {
      const ImageSetInfo info = scan_hdf5_images(path, images_key, labels_key, layout);
      std::string out;
      const auto put = [&out](int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
      put(info.channels);
      put(info.height);
      put(info.width);
      for (const int64_t label : info.labels) put(label);
      return out;
    });
  } catch (const InputError& e) {  // the child's DataError, by kind again
    const std::string what = e.what();
    const std::string prefix = path + ": ";
    throw DataError(path, what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
  } catch (const ChildDied& e) {
    throw DataError(path, "libhdf5 crashed reading this file (the reader was " + std::string(e.what()) +
                              "): the file is damaged or was not written as HDF5 writes it; "
                              "it was read in a separate process, so nothing else was affected");
  }
  if (answer.size() < 3 * sizeof(int64_t) || answer.size() % sizeof(int64_t) != 0) {
    throw DataError(path, "the separate reading process answered " + std::to_string(answer.size()) + " bytes");
  }
  std::vector<int64_t> values(answer.size() / sizeof(int64_t));
  std::memcpy(values.data(), answer.data(), answer.size());
  ImageSetInfo info;
  info.channels = values[0];
  info.height = values[1];
  info.width = values[2];
  info.labels.assign(values.begin() + 3, values.end());
  return info;
}

}  // namespace fineprune
