// Reading and writing PyTorch state_dict files (zip format) without Python.
#include "workers/models/state_dict_file.h"

#include <torch/serialize.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"
#include "workers/models/checkpoint.h"
#include "workers/models/zip_entries.h"

namespace fineprune {
namespace {

// A value on the pickle machine's stack: only the kinds a state_dict holds.
struct PyValue;
using Py = std::shared_ptr<PyValue>;
struct PyValue {
  enum class Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor, Mark };
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s;                           // Str; Global: "module.name"; Storage: its record key
  std::vector<Py> items;                   // Tuple, List
  std::vector<std::pair<Py, Py>> entries;  // Dict, in insertion order
  c10::ScalarType dtype = c10::kFloat;     // Storage
  int64_t numel = 0;                       // Storage
  torch::Tensor tensor;                    // Tensor
};

Py make(PyValue::Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

const char* kind_name(PyValue::Kind k) {
  switch (k) {
    case PyValue::Kind::None: return "None";
    case PyValue::Kind::Bool: return "a bool";
    case PyValue::Kind::Int: return "an int";
    case PyValue::Kind::Float: return "a float";
    case PyValue::Kind::Str: return "a string";
    case PyValue::Kind::Tuple: return "a tuple";
    case PyValue::Kind::List: return "a list";
    case PyValue::Kind::Dict: return "a dict";
    case PyValue::Kind::Global: return "a class or function";
    case PyValue::Kind::Storage: return "a storage";
    case PyValue::Kind::Tensor: return "a tensor";
    case PyValue::Kind::Mark: return "a mark";
  }
  return "?";
}

// torch.<Name>Storage -> its element type.
bool storage_dtype(const std::string& global, c10::ScalarType& out) {
  static const std::map<std::string, c10::ScalarType> types = {
      {"torch.FloatStorage", c10::kFloat},   {"torch.DoubleStorage", c10::kDouble},
      {"torch.HalfStorage", c10::kHalf},     {"torch.BFloat16Storage", c10::kBFloat16},
      {"torch.LongStorage", c10::kLong},     {"torch.IntStorage", c10::kInt},
      {"torch.ShortStorage", c10::kShort},   {"torch.CharStorage", c10::kChar},
      {"torch.ByteStorage", c10::kByte},     {"torch.BoolStorage", c10::kBool}};
  const auto it = types.find(global);
  if (it == types.end()) return false;
  out = it->second;
  return true;
}

// The archive's records: "<folder>/<name>" entries of its one top folder, CRC-checked.
struct Archive {
  const std::string& bytes;
  std::map<std::string, ZipEntry> entries;
  std::string folder;  // "archive/" for torch.save, the file's stem for some writers
  const ZipEntry* find(const std::string& name) const {
    const auto it = entries.find(folder + name);
    return it == entries.end() ? nullptr : &it->second;
  }
};

// Runs data.pkl. Storage bytes come from the archive's data/<key> records.
class Unpickler {
 public:
  Unpickler(const std::string& path, const std::string& pickle, const Archive& archive)
      : path_(path), in_(pickle), archive_(archive) {}

  Py run() {
    while (true) {
      if (pos_ >= in_.size()) fail("the pickle ends without its STOP opcode");
      op_at_ = pos_;
      const auto op = static_cast<uint8_t>(in_[pos_++]);
      switch (op) {
        case 0x80: read_bytes(1); break;                     // PROTO
        case 0x95: read_bytes(8); break;                     // FRAME (protocol 4)
        case '.':                                            // STOP
          if (stack_.size() != 1) fail("the pickle stops with " + std::to_string(stack_.size()) + " values on its stack");
          return stack_.back();
        case '(': stack_.push_back(make(PyValue::Kind::Mark)); break;
        case 'N': stack_.push_back(make(PyValue::Kind::None)); break;
        case 0x88: case 0x89: {                              // NEWTRUE, NEWFALSE
          Py v = make(PyValue::Kind::Bool);
          v->i = op == 0x88 ? 1 : 0;
          stack_.push_back(v);
          break;
        }
        case 'K': push_int(static_cast<uint8_t>(read_bytes(1)[0])); break;  // BININT1
        case 'M': push_int(little_endian(read_bytes(2), false)); break;     // BININT2
        case 'J': push_int(little_endian(read_bytes(4), true)); break;      // BININT
        case 0x8a: {                                                        // LONG1
          const auto n = static_cast<uint8_t>(read_bytes(1)[0]);
          if (n > 8) fail("an integer of " + std::to_string(n) + " bytes");
          push_int(n == 0 ? 0 : little_endian(read_bytes(n), true));
          break;
        }
        case 'G': {                                                         // BINFLOAT, big-endian
          const std::string b = read_bytes(8);
          uint64_t bits = 0;
          for (char c : b) bits = (bits << 8) | static_cast<uint8_t>(c);
          Py v = make(PyValue::Kind::Float);
          std::memcpy(&v->f, &bits, sizeof bits);
          stack_.push_back(v);
          break;
        }
        case 'X': push_str(read_bytes(static_cast<size_t>(little_endian(read_bytes(4), false)))); break;  // BINUNICODE
        case 0x8c: push_str(read_bytes(static_cast<uint8_t>(read_bytes(1)[0]))); break;  // SHORT_BINUNICODE
        case 'T': push_str(read_bytes(static_cast<size_t>(little_endian(read_bytes(4), false)))); break;  // BINSTRING
        case 'U': push_str(read_bytes(static_cast<uint8_t>(read_bytes(1)[0]))); break;  // SHORT_BINSTRING
        case '}': stack_.push_back(make(PyValue::Kind::Dict)); break;
        case ']': stack_.push_back(make(PyValue::Kind::List)); break;
        case ')': stack_.push_back(make(PyValue::Kind::Tuple)); break;
        case 't': {                                                         // TUPLE
          Py v = make(PyValue::Kind::Tuple);
          v->items = pop_to_mark();
          stack_.push_back(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {                                  // TUPLE1..3
          Py v = make(PyValue::Kind::Tuple);
          v->items.resize(op - 0x84);
          for (size_t k = v->items.size(); k-- > 0;) v->items[k] = pop();
          stack_.push_back(v);
          break;
        }
        case 'a': {                                                         // APPEND
          Py item = pop();
          expect(top(), PyValue::Kind::List, "APPEND")->items.push_back(item);
          break;
        }
        case 'e': {                                                         // APPENDS
          std::vector<Py> items = pop_to_mark();
          Py list = expect(top(), PyValue::Kind::List, "APPENDS");
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case 's': {                                                         // SETITEM
          Py value = pop();
          Py key = pop();
          expect(top(), PyValue::Kind::Dict, "SETITEM")->entries.emplace_back(key, value);
          break;
        }
        case 'u': {                                                         // SETITEMS
          std::vector<Py> kv = pop_to_mark();
          if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of values");
          Py dict = expect(top(), PyValue::Kind::Dict, "SETITEMS");
          for (size_t k = 0; k < kv.size(); k += 2) dict->entries.emplace_back(kv[k], kv[k + 1]);
          break;
        }
        case 'q': memo(static_cast<uint8_t>(read_bytes(1)[0])); break;                        // BINPUT
        case 'r': memo(static_cast<uint64_t>(little_endian(read_bytes(4), false))); break;     // LONG_BINPUT
        case 0x94: memo(memo_.size()); break;                                                   // MEMOIZE
        case 'h': recall(static_cast<uint8_t>(read_bytes(1)[0])); break;                      // BINGET
        case 'j': recall(static_cast<uint64_t>(little_endian(read_bytes(4), false))); break;   // LONG_BINGET
        case 'c': {                                                                             // GLOBAL
          const std::string module = read_line();
          const std::string name = read_line();
          Py v = make(PyValue::Kind::Global);
          v->s = module + "." + name;
          check_global(v->s);
          stack_.push_back(v);
          break;
        }
        case 'Q': stack_.push_back(storage(pop())); break;                                    // BINPERSID
        case 'R': {                                                                             // REDUCE
          Py args = expect(pop(), PyValue::Kind::Tuple, "REDUCE's arguments");
          Py callable = expect(pop(), PyValue::Kind::Global, "REDUCE's callable");
          stack_.push_back(reduce(callable->s, args->items));
          break;
        }
        case 'b': {                                                                             // BUILD
          pop();  // the state: an OrderedDict's attributes (_metadata), nothing a tensor needs
          if (stack_.empty()) fail("BUILD on an empty stack");
          break;
        }
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("pickle opcode ") + hex + " is not one a state_dict uses");
        }
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": data.pkl byte " + std::to_string(op_at_) + ": " + what +
                     " (not a state_dict saved by torch.save(model.state_dict(), path)?)");
  }

 private:
  std::string read_bytes(size_t n) {
    if (n > in_.size() - pos_) fail("the pickle ends inside a value");
    std::string out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string read_line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string::npos) fail("the pickle ends inside a global's name");
    std::string out = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  static int64_t little_endian(const std::string& b, bool is_signed) {
    uint64_t v = 0;
    for (size_t k = b.size(); k-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[k]);
    if (is_signed && b.size() < 8 && (static_cast<uint8_t>(b.back()) & 0x80)) v |= ~uint64_t{0} << (8 * b.size());
    return static_cast<int64_t>(v);
  }
  void push_int(int64_t value) {
    Py v = make(PyValue::Kind::Int);
    v->i = value;
    stack_.push_back(v);
  }
  void push_str(std::string value) {
    Py v = make(PyValue::Kind::Str);
    v->s = std::move(value);
    stack_.push_back(v);
  }
  Py pop() {
    if (stack_.empty() || stack_.back()->kind == PyValue::Kind::Mark) fail("a value is taken from an empty stack");
    Py v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Py top() {
    if (stack_.empty()) fail("the stack is empty");
    return stack_.back();
  }
  std::vector<Py> pop_to_mark() {
    std::vector<Py> out;
    while (!stack_.empty() && stack_.back()->kind != PyValue::Kind::Mark) {
      out.push_back(stack_.back());
      stack_.pop_back();
    }
    if (stack_.empty()) fail("no MARK on the stack");
    stack_.pop_back();
    return {out.rbegin(), out.rend()};
  }
  Py expect(const Py& v, PyValue::Kind kind, const char* what) {
    if (v->kind != kind) fail(std::string(what) + " is " + kind_name(v->kind) + ", expected " + kind_name(kind));
    return v;
  }
  void memo(uint64_t index) { memo_[index] = top(); }
  void recall(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    stack_.push_back(it->second);
  }

  // The globals a state_dict names; anything else would be code the file asks us to run.
  void check_global(const std::string& name) {
    c10::ScalarType unused;
    if (name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
        name == "torch._utils._rebuild_parameter" || name == "torch.jit._pickle.restore_type_tag" ||
        storage_dtype(name, unused)) {
      return;
    }
    fail("global '" + name + "' is not allowed: a state_dict holds tensors only (save model.state_dict(), "
         "not the model or other objects)");
  }

  // ('storage', torch.<T>Storage, key, location, numel): the bytes of data/<key>.
  Py storage(const Py& pid) {
    expect(pid, PyValue::Kind::Tuple, "a persistent id");
    const auto& t = pid->items;
    if (t.size() != 5 || t[0]->kind != PyValue::Kind::Str || t[0]->s != "storage" ||
        t[1]->kind != PyValue::Kind::Global || t[2]->kind != PyValue::Kind::Str || t[4]->kind != PyValue::Kind::Int) {
      fail("a persistent id that is not ('storage', type, key, location, numel)");
    }
    Py v = make(PyValue::Kind::Storage);
    if (!storage_dtype(t[1]->s, v->dtype)) fail("storage type '" + t[1]->s + "' is not a tensor storage");
    v->s = t[2]->s;
    v->numel = t[4]->i;
    const std::string record = "data/" + v->s;
    const ZipEntry* entry = archive_.find(record);
    if (entry == nullptr) fail("the archive has no record '" + record + "' for a storage");
    if (v->numel < 0) fail("storage '" + v->s + "' has a negative size");
    const auto item = static_cast<int64_t>(c10::elementSize(v->dtype));
    const size_t want = static_cast<size_t>(v->numel * item);
    if (entry->size < want) {
      fail("record '" + record + "' holds " + std::to_string(entry->size) + " bytes, its storage needs " +
           std::to_string(want));
    }
    v->tensor = torch::empty({v->numel}, torch::TensorOptions().dtype(v->dtype));
    if (want > 0) std::memcpy(v->tensor.data_ptr(), archive_.bytes.data() + entry->offset, want);
    return v;
  }

  std::vector<int64_t> ints(const Py& tuple, const char* what) {
    expect(tuple, PyValue::Kind::Tuple, what);
    std::vector<int64_t> out;
    for (const Py& x : tuple->items) out.push_back(expect(x, PyValue::Kind::Int, what)->i);
    return out;
  }

  Py reduce(const std::string& callable, const std::vector<Py>& args) {
    if (callable == "collections.OrderedDict") {
      if (!args.empty()) fail("OrderedDict built from arguments");
      return make(PyValue::Kind::Dict);
    }
    if (callable == "torch.jit._pickle.restore_type_tag") {  // (value, "Dict[str, Tensor]"): LibTorch's files
      if (args.size() != 2) fail("restore_type_tag with " + std::to_string(args.size()) + " arguments");
      return args[0];
    }
    if (callable == "torch._utils._rebuild_parameter") {
      if (args.empty() || args[0]->kind != PyValue::Kind::Tensor) fail("_rebuild_parameter without a tensor");
      return args[0];
    }
    if (callable == "torch._utils._rebuild_tensor_v2") {
      if (args.size() < 4) fail("_rebuild_tensor_v2 with " + std::to_string(args.size()) + " arguments");
      Py store = expect(args[0], PyValue::Kind::Storage, "_rebuild_tensor_v2's storage");
      const int64_t offset = expect(args[1], PyValue::Kind::Int, "a storage offset")->i;
      const std::vector<int64_t> size = ints(args[2], "a tensor size");
      const std::vector<int64_t> stride = ints(args[3], "a tensor stride");
      if (size.size() != stride.size()) fail("a tensor whose size and stride differ in length");
      int64_t last = offset;  // the furthest element the view reaches
      bool empty = false;
      for (size_t d = 0; d < size.size(); ++d) {
        if (size[d] < 0 || stride[d] < 0) fail("a tensor with a negative size or stride");
        if (size[d] == 0) empty = true;
        last += (size[d] - 1) * stride[d];
      }
      if (offset < 0 || (!empty && last >= store->numel)) {
        fail("a tensor reaching past its storage '" + store->s + "' of " + std::to_string(store->numel) + " elements");
      }
      Py v = make(PyValue::Kind::Tensor);
      v->tensor = store->tensor.as_strided(size, stride, offset).clone(at::MemoryFormat::Contiguous);
      return v;
    }
    fail("cannot call '" + callable + "'");
  }

  std::string path_;
  std::string in_;
  const Archive& archive_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  std::vector<Py> stack_;
  std::map<uint64_t, Py> memo_;
};

}  // namespace

std::vector<NamedTensor> read_state_dict(const std::string& path, std::string* sha256) {
  if (!std::filesystem::is_regular_file(path)) throw InputError(path + ": no such file");
  std::string bytes;
  try {
    bytes = read_file_bytes(path);
  } catch (const IoError& e) {  // a received file that does not read is bad input, not our failure
    throw InputError(e.what());
  }
  if (sha256 != nullptr) *sha256 = sha256_hex(bytes);
  Archive archive{bytes, read_zip_entries(bytes, path), ""};
  // Every entry in one top folder, data.pkl among them.
  for (const auto& [name, entry] : archive.entries) {
    const size_t slash = name.find('/');
    const std::string folder = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    if (archive.folder.empty()) archive.folder = folder;
    if (folder.empty() || folder != archive.folder) {
      throw InputError(path + ": entry '" + name + "' is not in the archive's one folder: not a file torch.save wrote");
    }
  }
  const ZipEntry* pickle_entry = archive.find("data.pkl");
  if (pickle_entry == nullptr) {
    throw InputError(path + ": a zip archive without data.pkl: not a file torch.save wrote "
                     "(a TorchScript module? save model.state_dict() with torch.save)");
  }
  const std::string pickle = bytes.substr(pickle_entry->offset, pickle_entry->size);
  Unpickler unpickler(path, pickle, archive);
  const Py top = unpickler.run();
  if (top->kind != PyValue::Kind::Dict) {
    throw InputError(path + ": the file holds " + kind_name(top->kind) +
                     ", not a state_dict (a dict of name -> tensor)");
  }
  std::vector<NamedTensor> out;
  std::map<std::string, int> seen;
  for (const auto& [key, value] : top->entries) {
    if (key->kind != PyValue::Kind::Str) {
      throw InputError(path + ": a state_dict key is " + std::string(kind_name(key->kind)) + ", not a name");
    }
    if (value->kind != PyValue::Kind::Tensor) {
      throw InputError(path + ": entry '" + key->s + "' is " + kind_name(value->kind) + ", not a tensor");
    }
    if (seen[key->s]++ > 0) throw InputError(path + ": entry '" + key->s + "' appears twice");
    out.push_back({key->s, value->tensor});
  }
  return out;
}

void write_state_dict(const std::vector<NamedTensor>& tensors, const std::string& path) {
  auto dict = c10::impl::GenericDict(c10::StringType::get(), c10::TensorType::get());
  for (const NamedTensor& t : tensors) dict.insert(t.name, t.value.detach().cpu().contiguous());
  const std::vector<char> bytes = torch::pickle_save(dict);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw IoError(path, "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(path, std::string("cannot rename the written file onto it: ") + std::strerror(errno));
  }
}

}  // namespace fineprune
