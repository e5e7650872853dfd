// Reads the kernel's BTF once for the BPF object: a small copy of its types for CO-RE, and the
// attach points of bob's BTF-typed tracepoints (see the header).
#include "kernel_btf.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bob/error.h"

namespace bob::trace::detail {
namespace {

constexpr const char* kVmlinuxBtf = "/sys/kernel/btf/vmlinux";

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

// The running kernel's BTF. Linux 6.16+ lets /sys/kernel/btf/vmlinux be mapped read-only, which
// spares copying its ~5.5 MB through read() 4 KiB at a time; older kernels are read.
BtfPtr load_kernel_btf() {
  int fd = open(kVmlinuxBtf, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    void* data = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
      data = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data != MAP_FAILED) {
      BtfPtr parsed(btf__new(data, static_cast<__u32>(st.st_size)));  // copies the data
      munmap(data, static_cast<std::size_t>(st.st_size));
      if (parsed) return parsed;
    }
  }
  return BtfPtr(btf__load_vmlinux_btf());
}

// A type name without a CO-RE flavor suffix ("task_struct___old" -> "task_struct"), as libbpf
// compares them.
std::string_view essential_name(std::string_view name) {
  std::size_t flavor = name.find("___");
  return flavor == std::string_view::npos ? name : name.substr(0, flavor);
}

bool is_composite(const btf_type* t) { return btf_is_struct(t) || btf_is_union(t); }

std::unordered_set<std::string> wanted_names(const btf* wanted) {
  std::unordered_set<std::string> names;
  for (__u32 id = 1; id < btf__type_cnt(wanted); ++id) {
    const btf_type* t = btf__type_by_id(wanted, id);
    if (!is_composite(t)) continue;
    std::string_view name = essential_name(btf__name_by_offset(wanted, t->name_off));
    if (!name.empty()) names.emplace(name);
  }
  return names;
}

class Copier {
 public:
  Copier(const btf* kernel, btf* out) : kernel_(kernel), out_(out) {}

  // The id in `out` of kernel type `id`, copying it (and what it embeds) on first use.
  __u32 copy(__u32 id) {
    if (id == 0) return 0;  // void
    if (auto it = copied_.find(id); it != copied_.end()) return it->second;
    __u32 result = copy_new(id);
    copied_.emplace(id, result);
    return result;
  }

 private:
  __u32 checked(int id, const char* what) {
    if (id < 0) throw std::runtime_error(std::string("cannot add ") + what + ": " +
                                         std::strerror(-id));
    return static_cast<__u32>(id);
  }

  const char* name_of(const btf_type* t) { return btf__name_by_offset(kernel_, t->name_off); }

  __u32 void_pointer() {
    if (void_pointer_ == 0) void_pointer_ = checked(btf__add_ptr(out_, 0), "a pointer");
    return void_pointer_;
  }

  __u32 copy_new(__u32 id) {
    const btf_type* t = btf__type_by_id(kernel_, id);
    if (!t) throw std::runtime_error("kernel BTF type " + std::to_string(id) + " is missing");
    switch (btf_kind(t)) {
      case BTF_KIND_INT: return copy_int(t);
      case BTF_KIND_FLOAT: return checked(btf__add_float(out_, name_of(t), t->size), "a float");
      case BTF_KIND_PTR: return void_pointer();
      case BTF_KIND_ARRAY: {
        const struct btf_array* array = btf_array(t);
        __u32 element = copy(array->type);
        __u32 index = copy(array->index_type);
        return checked(btf__add_array(out_, index, element, array->nelems), "an array");
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: return copy_composite(t);
      case BTF_KIND_ENUM: return copy_enum(t);
      case BTF_KIND_ENUM64: return copy_enum64(t);
      // Modifiers and typedefs change nothing CO-RE looks at: it skips them on both sides.
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG: return copy(t->type);
      case BTF_KIND_FWD:
        return checked(btf__add_fwd(out_, name_of(t), btf_kflag(t) ? BTF_FWD_UNION
                                                                    : BTF_FWD_STRUCT),
                       "a forward declaration");
      default:
        throw std::runtime_error("kernel BTF type " + std::to_string(id) + " has kind " +
                                 std::to_string(btf_kind(t)) + ", which is never embedded");
    }
  }

  __u32 copy_int(const btf_type* t) {
    // btf__add_int() makes whole-width integers; the kernel has no other kind in its structs.
    if (btf_int_offset(t) != 0 || btf_int_bits(t) != t->size * 8)
      throw std::runtime_error(std::string("integer type ") + name_of(t) +
                               " is narrower than its size");
    return checked(btf__add_int(out_, name_of(t), t->size, btf_int_encoding(t)), "an integer");
  }

  __u32 copy_composite(const btf_type* t) {
    // Members' types first: btf__add_field() appends to the type added last.
    std::vector<__u32> member_types;
    const btf_member* members = btf_members(t);
    for (__u16 i = 0; i < btf_vlen(t); ++i) member_types.push_back(copy(members[i].type));
    const char* name = name_of(t);
    __u32 id = checked(btf_is_struct(t) ? btf__add_struct(out_, name, t->size)
                                        : btf__add_union(out_, name, t->size),
                       "a struct");
    for (__u16 i = 0; i < btf_vlen(t); ++i) {
      const char* member = btf__name_by_offset(kernel_, members[i].name_off);
      checked(btf__add_field(out_, member && *member ? member : nullptr, member_types[i],
                             btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i)),
              "a member");
    }
    return id;
  }

  __u32 copy_enum(const btf_type* t) {
    __u32 id = checked(btf__add_enum(out_, name_of(t), t->size), "an enum");
    const struct btf_enum* values = btf_enum(t);
    for (__u16 i = 0; i < btf_vlen(t); ++i)
      checked(btf__add_enum_value(out_, btf__name_by_offset(kernel_, values[i].name_off),
                                  values[i].val),
              "an enum value");
    return id;
  }

  __u32 copy_enum64(const btf_type* t) {
    __u32 id = checked(btf__add_enum64(out_, name_of(t), t->size, btf_kflag(t)), "an enum");
    const struct btf_enum64* values = btf_enum64(t);
    for (__u16 i = 0; i < btf_vlen(t); ++i)
      checked(btf__add_enum64_value(out_, btf__name_by_offset(kernel_, values[i].name_off),
                                    btf_enum64_value(&values[i])),
              "an enum value");
    return id;
  }

  const btf* kernel_;
  btf* out_;
  std::unordered_map<__u32, __u32> copied_;
  __u32 void_pointer_ = 0;
};

constexpr std::string_view kTracepointTypedefPrefix = "btf_trace_";

// One pass over the kernel's types: copies into `out` every struct and union of a name `wanted`
// has (all of them, as libbpf would consider each one a candidate), and notes the id of the
// btf_trace_NAME typedef of each tracepoint. A failed copy leaves `out` null.
void scan_kernel_types(const btf* kernel, const btf* wanted,
                       const std::vector<std::string>& tracepoints, BtfPtr& out,
                       std::map<std::string, int>& attach_ids, std::string& copy_failure) {
  std::unordered_set<std::string> names = wanted_names(wanted);
  std::unordered_set<std::string_view> attach_names(tracepoints.begin(), tracepoints.end());
  std::unique_ptr<Copier> copier;
  if (out) copier = std::make_unique<Copier>(kernel, out.get());
  for (__u32 id = 1; id < btf__type_cnt(kernel); ++id) {
    const btf_type* t = btf__type_by_id(kernel, id);
    if (t->name_off == 0) continue;
    if (btf_is_typedef(t)) {
      std::string_view name = btf__name_by_offset(kernel, t->name_off);
      if (name.substr(0, kTracepointTypedefPrefix.size()) != kTracepointTypedefPrefix) continue;
      name.remove_prefix(kTracepointTypedefPrefix.size());
      if (attach_names.count(name)) attach_ids[std::string(name)] = static_cast<int>(id);
      continue;
    }
    if (!copier || !is_composite(t)) continue;
    const char* name = btf__name_by_offset(kernel, t->name_off);
    if (!names.count(std::string(essential_name(name)))) continue;
    try {
      copier->copy(id);
    } catch (const std::exception& e) {
      copy_failure = e.what();
      copier.reset();
      out.reset();
    }
  }
}

// The ids the section handler gives the kernel, published by KernelTypes::fill().
std::mutex attach_ids_mutex;
std::map<std::string, int> published_attach_ids;

int published_attach_id(const std::string& tracepoint) {
  std::lock_guard<std::mutex> lock(attach_ids_mutex);
  auto it = published_attach_ids.find(tracepoint);
  return it == published_attach_ids.end() ? 0 : it->second;
}

// libbpf calls this just before loading a kBtfTracepointSection program. Until here the program
// is a plain raw_tp, so that libbpf saw no reason to read the kernel's BTF; now it becomes a
// tp_btf program (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) with the attach point bob found.
int prepare_btf_tracepoint(bpf_program* program, bpf_prog_load_opts* options, long /*cookie*/) {
  std::string section = bpf_program__section_name(program);
  int id = published_attach_id(section.substr(std::string_view(kBtfTracepointSection).size()));
  if (id <= 0) return -ENOENT;  // libbpf's warning names the program; the kernel lacks the hook
  int error = bpf_program__set_type(program, BPF_PROG_TYPE_TRACING);
  if (error) return error;
  options->expected_attach_type = BPF_TRACE_RAW_TP;
  options->attach_btf_id = static_cast<__u32>(id);
  options->attach_btf_obj_fd = 0;  // vmlinux
  return 0;
}

}  // namespace

void register_btf_tracepoint_section() {
  static std::once_flag once;
  std::call_once(once, [] {
    libbpf_prog_handler_opts options{};
    options.sz = sizeof(options);
    options.prog_prepare_load_fn = prepare_btf_tracepoint;
    int id = libbpf_register_prog_handler(kBtfTracepointSection, BPF_PROG_TYPE_RAW_TRACEPOINT,
                                          BPF_TRACE_RAW_TP, &options);
    if (id < 0)
      fail(Exit::inconclusive,
           std::string("cannot register bob's tp_btf section with libbpf: ") + std::strerror(-id),
           "bob needs libbpf 1.1 or later; see docs/tracing.md");
  });
}

KernelTypes::KernelTypes() {
  fd_ = memfd_create("bob-kernel-btf", MFD_CLOEXEC);
  if (fd_ < 0) {
    reason_ = std::string("memfd_create: ") + std::strerror(errno);
    return;
  }
  // libbpf opens the copy by path. Without a /proc of bob's own (none mounted, or another pid
  // namespace's) that path would be missing or another file: libbpf then gets no path at all
  // and relocates against the kernel's whole BTF, as it would without bob's copy.
  std::string path = "/proc/self/fd/" + std::to_string(fd_);
  struct stat by_fd {};
  struct stat by_path {};
  if (fstat(fd_, &by_fd) != 0 || stat(path.c_str(), &by_path) != 0 ||
      by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino) {
    reason_ = "the BTF copy cannot be opened through " + path;
    return;
  }
  path_ = std::move(path);
}

KernelTypes::~KernelTypes() {
  if (fd_ >= 0) close(fd_);
}

bool KernelTypes::fill(const btf* object, const std::vector<std::string>& tracepoints) {
  BtfPtr kernel = load_kernel_btf();
  if (!kernel) {
    reason_ = std::string("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): ") +
              std::strerror(errno);
    return false;
  }
  BtfPtr copy(path_.empty() ? nullptr : btf__new_empty());
  std::string copy_failure = path_.empty() ? reason_ : "";
  if (copy_failure.empty() && !copy) copy_failure = "cannot create an empty BTF (out of memory?)";
  attach_ids_.clear();
  scan_kernel_types(kernel.get(), object, tracepoints, copy, attach_ids_, copy_failure);
  {
    std::lock_guard<std::mutex> lock(attach_ids_mutex);
    published_attach_ids = attach_ids_;
  }
  has_copy_ = copy && write_copy(copy.get(), copy_failure);
  if (!has_copy_) reason_ = copy_failure;
  return true;
}

bool KernelTypes::write_copy(const btf* copy, std::string& failure) {
  __u32 size = 0;
  const char* bytes = static_cast<const char*>(btf__raw_data(copy, &size));
  if (!bytes) {
    failure = "cannot serialise the BTF copy";
    return false;
  }
  for (__u32 done = 0; done < size;) {
    ssize_t n = pwrite(fd_, bytes + done, size - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failure = std::string("writing the BTF copy: ") + std::strerror(errno);
      return false;
    }
    done += static_cast<__u32>(n);
  }
  copied_types_ = btf__type_cnt(copy) - 1;
  return true;
}

}  // namespace bob::trace::detail
