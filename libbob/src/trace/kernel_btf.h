// What bob takes from the kernel's BTF at every start, read once (private to the trace module).
#pragma once

#include <map>
#include <string>
#include <vector>

struct btf;

namespace bob::trace::detail {

// The section prefix of bob's BTF-typed raw tracepoints: SEC("bob_tp_btf/sys_enter") is a
// tp_btf program whose attach point libbpf does not look up itself (see KernelTypes).
inline constexpr const char* kBtfTracepointSection = "bob_tp_btf/";

// Registers the libbpf handler of kBtfTracepointSection, once per process. It must come before
// libbpf opens an object with such sections.
void register_btf_tracepoint_section();

// libbpf 1.1 would read and parse the kernel's BTF (~8 ms) and match each kernel type a CO-RE
// relocation names against every one of its ~126,000 types (~10 ms), at every start of bob.
// KernelTypes reads that BTF once (mapped, on Linux 6.16+) and takes from it:
// - a copy holding only the kernel's definitions of the structs and unions the BPF object names,
//   with every type they embed, member for member at the kernel's offsets, which libbpf is given
//   as btf_custom_path. Pointer members point to void: a relocation through a pointer names the
//   pointed-to struct itself, which is in the copy under its own name. The offsets libbpf
//   computes from it are the kernel's (tests/trace/test_trace_bpf.cpp compares the relocated
//   programs both ways);
// - the type id of each BTF-typed tracepoint the object attaches to (its btf_trace_NAME
//   typedef), which the section handler above hands to the kernel.
// Only structs and unions are copied: a relocation that names an enum value or a typedef
// (bpf_core_enum_value, bpf_core_type_exists on a typedef) would find nothing in the copy and
// resolve as "absent". The programs use neither; the test that relocates both ways would show it.
class KernelTypes {
 public:
  // Creates the (empty) file, so that its path can be given to libbpf when it opens the object.
  KernelTypes();
  ~KernelTypes();
  KernelTypes(const KernelTypes&) = delete;
  KernelTypes& operator=(const KernelTypes&) = delete;

  // Reads the kernel's BTF. `object` is the BPF object's own BTF (whose named structs and unions
  // are copied) and `tracepoints` the names its kBtfTracepointSection programs attach to; their
  // ids are published to the section handler. Returns false, with reason(), when the kernel's
  // BTF cannot be read. A tracepoint the kernel lacks gets no id (its program then fails to
  // load, naming itself). When only the copy fails, has_copy() is false and libbpf must relocate
  // against the kernel's BTF itself.
  bool fill(const btf* object, const std::vector<std::string>& tracepoints);

  bool has_copy() const { return has_copy_; }
  // A path libbpf can open while this object lives (/proc/self/fd/N of a memfd), or "" when the
  // file could not be created.
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }
  std::size_t copied_types() const { return copied_types_; }
  const std::map<std::string, int>& attach_ids() const { return attach_ids_; }

 private:
  bool write_copy(const btf* copy, std::string& failure);

  int fd_ = -1;
  std::string path_;
  std::string reason_;
  bool has_copy_ = false;
  std::size_t copied_types_ = 0;
  std::map<std::string, int> attach_ids_;
};

}  // namespace bob::trace::detail
