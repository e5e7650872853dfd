// SPDX-License-Identifier: GPL-2.0
/* bob's tracer: follows one process tree and reports what it executes, opens, connects to,
 * resolves and which capabilities it checks, plus the set of syscalls it makes.
 *
 * Only raw tracepoints are used, BTF-typed (tp_btf) for the two syscall hooks: the target
 * kernels have no kprobes, and fentry/LSM programs are refused under lockdown. libbpf relocates
 * the programs against a small copy of the kernel's BTF that bob makes
 * (libbob/src/trace/kernel_btf.h) instead of the whole of it. Paths are resolved here, at event
 * time, by walking dentries and mounts (bpf_d_path() is not allowed on tracepoints), because the
 * process may be gone by the time user space reads the event.
 *
 * Scope: the `tracked` map holds the tgids of the tree. User space inserts the root before the
 * root execs; sched_process_fork adds every child of a tracked process; group exit removes it.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_events.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define IPPROTO_UDP 17
#define CAP_SYS_ADMIN 21
#define PROC_SUPER_MAGIC 0x9fa0

/* x86_64 syscall numbers the tracer dispatches on. */
#define NR_mmap 9
#define NR_mprotect 10
#define NR_brk 12
#define NR_mremap 25
#define NR_open 2
#define NR_shmget 29
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_execve 59
#define NR_creat 85
#define NR_openat 257
#define NR_sendmmsg 307
#define NR_execveat 322
#define NR_accept4 288
#define NR_openat2 437

/* User-space ABI structures and the x86_64 register frame, in their fixed x86_64 layouts. They
 * are declared here rather than taken from vmlinux.h: each type a CO-RE relocation names costs
 * libbpf a scan of the kernel's whole BTF (~130,000 types) at every start, and these layouts are
 * part of the system-call ABI, which never changes. */
struct bob_pt_regs {
  __u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
  __u64 ip, cs, flags, sp, ss;
};

struct bob_sockaddr_in {
  __u16 family;
  __u16 port;    /* network byte order */
  __u32 addr;
  __u8 zero[8];
};

struct bob_sockaddr_in6 {
  __u16 family;
  __u16 port;    /* network byte order */
  __u32 flowinfo;
  __u8 addr[16];
  __u32 scope_id;
};

struct bob_iovec {
  __u64 base;
  __u64 len;
};

struct bob_msghdr { /* struct user_msghdr; struct mmsghdr starts with one */
  __u64 name;
  __s32 namelen;
  __u32 pad;
  __u64 iov;
  __u64 iovlen;
  __u64 control;
  __u64 controllen;
  __u32 flags;
  __u32 pad2;
};

#define WALK_END 4096               /* paths are built backwards, ending here */
#define WALK_BUF (WALK_END + 512)

/* Counters user space reads after the drain barrier. Any non-zero loss makes a run
 * inconclusive. */
__u64 lost_ringbuf = 0;      /* ring buffer full */
__u64 lost_tracked = 0;      /* tracked map full: a child could not be followed */
__u64 lost_pending = 0;      /* per-thread scratch map full: an exec lost its arguments */
__u64 failed_execs = 0;
__u8 syscalls_seen[BOB_SYSCALL_SLOTS] = {};
__u8 caps_seen[BOB_CAP_SLOTS] = {};

/* Sized by need: bob consumes every 5 ms, and opens (the bulk) are sent at their used length,
 * ~150-300 bytes, so 4 MiB holds ~15,000 opens, seconds of backlog for any workload measured
 * (bench/trace/bench.py). Its pages count in bob's resident memory once mapped, so a bigger ring
 * costs memory for every run. */
#define BOB_RING_BYTES (4 << 20)

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, BOB_RING_BYTES);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);    /* tgid */
  __type(value, __u64);  /* BOB_TRACK_ACTIVE, or BOB_TRACK_AWAITING_EXEC for the root */
} tracked SEC(".maps");

/* User space inserts the command's pid before releasing it to execve. Until that execve
 * succeeds the process is still bob's own child (resetting signals, reading the release byte,
 * changing directory), and how much of that happens after the insert is a race. So nothing but
 * the execve itself counts until the first exec: recordings do not vary with scheduling. */
#define BOB_TRACK_ACTIVE 0
#define BOB_TRACK_AWAITING_EXEC 1

/* The tests made on every syscall of every process read these mirrors of `tracked` instead of
 * looking the tgid up in the hash map (~30 ns per syscall): one bit per tgid that is tracked and
 * past its first exec, and the one tgid awaiting it (the root, set by user space with its
 * insert). Every change to `tracked` is made here too, in the same program, before the process
 * can make a syscall (a child is added at fork, before it first runs), so a tracked process is
 * never missed. The hash map stays the list user space reads (tracked_pids, kill_tree). */
#define BOB_PID_LIMIT (1u << 22) /* PID_MAX_LIMIT of 64-bit kernels */
#define BOB_PID_WORDS (BOB_PID_LIMIT / 64)
__u64 active_tgids[BOB_PID_WORDS] = {};
__u32 awaiting_exec_tgid = 0;

static __always_inline int tgid_is_active(__u32 tgid)
{
  return (active_tgids[(tgid >> 6) & (BOB_PID_WORDS - 1)] >> (tgid & 63)) & 1;
}

static __always_inline int tgid_is_tracked(__u32 tgid)
{
  return tgid_is_active(tgid) || (tgid == awaiting_exec_tgid && tgid != 0);
}

static __always_inline void set_tgid_active(__u32 tgid, int active)
{
  __u64 bit = 1ULL << (tgid & 63);
  if (active)
    __sync_fetch_and_or(&active_tgids[(tgid >> 6) & (BOB_PID_WORDS - 1)], bit);
  else
    __sync_fetch_and_and(&active_tgids[(tgid >> 6) & (BOB_PID_WORDS - 1)], ~bit);
}

/* Not preallocated: 1,024 preallocated 5.8 KB entries were 6 MB of kernel memory to allocate
 * and clear at every start, for the few execs that are ever in flight at once. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, __u32);    /* tid */
  __type(value, struct bob_exec_args);
} pending_execs SEC(".maps");

struct walk_scratch {
  char buf[WALK_BUF];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct walk_scratch);
} walk_scratch_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bob_exec_args);
} exec_scratch_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bob_open_event);
} open_scratch_map SEC(".maps");

static __always_inline int current_is_tracked(void)
{
  return tgid_is_tracked(bpf_get_current_pid_tgid() >> 32);
}

/* Tracked and past the root's first exec (see BOB_TRACK_AWAITING_EXEC). */
static __always_inline int current_is_active(void)
{
  return tgid_is_active(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline void fill_header(struct bob_header *h, __u32 type)
{
  __u64 id = bpf_get_current_pid_tgid();
  __u64 ug = bpf_get_current_uid_gid();
  struct task_struct *task = bpf_get_current_task_btf();

  h->type = type;
  h->pid = id >> 32;
  h->tid = (__u32)id;
  h->uid = (__u32)ug;
  h->gid = ug >> 32;
  h->reserved = 0;
  h->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Records are submitted without waking bob (a wake-up costs ~1.5 us per record; bob reads on a
 * 5 ms timer instead). Once a quarter of the ring is filled, every record wakes bob, so that a
 * burst, or bob being descheduled on a busy machine, does not overflow the ring. */
static __always_inline __u64 wakeup_flags(void)
{
  if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > BOB_RING_BYTES / 4)
    return BPF_RB_FORCE_WAKEUP;
  return BPF_RB_NO_WAKEUP;
}

static __always_inline void *reserve(__u64 size)
{
  void *record = bpf_ringbuf_reserve(&events, size, 0);
  if (!record)
    __sync_fetch_and_add(&lost_ringbuf, 1);
  return record;
}

/* One walk in progress: where it is, and where the path built so far starts in the scratch
 * buffer. Lives on walk_path()'s stack; walk_step() advances it one dentry at a time. */
struct walk_state {
  struct dentry *dentry;
  struct vfsmount *vfsmnt;
  struct mount *mnt;
  struct dentry *mnt_root; /* vfsmnt->mnt_root, read once per mount instead of once per step */
  int offset;
  int status; /* WALK_GOING, WALK_DONE, WALK_DETACHED or WALK_FAILED */
};

#define WALK_GOING 0
#define WALK_DONE 1
#define WALK_DETACHED 2 /* done, at the root of a detached mount */
#define WALK_FAILED 3

/* A dentry's d_parent and d_name (struct qstr: hash and length in one word, then the name),
 * which lie next to each other in struct dentry: one read per path component instead of three.
 * The layout is checked against the kernel's BTF (CO-RE); were the fields ever apart, they are
 * read one by one. */
struct parent_and_name {
  struct dentry *parent;
  __u64 hash_len;
  const unsigned char *name;
};

static __always_inline int read_parent_and_name(struct dentry *dentry,
                                                struct parent_and_name *link)
{
  __u32 parent_at = bpf_core_field_offset(struct dentry, d_parent);
  __u32 name_at = bpf_core_field_offset(struct dentry, d_name);
  if (name_at == parent_at + sizeof(void *))
    return bpf_probe_read_kernel(link, sizeof(*link), (char *)dentry + parent_at);
  link->parent = BPF_CORE_READ(dentry, d_parent);
  link->hash_len = BPF_CORE_READ(dentry, d_name.hash_len);
  link->name = BPF_CORE_READ(dentry, d_name.name);
  return 0;
}

/* One step of the walk: prepends the current dentry's name, or crosses a mount point, or ends
 * the walk. Called through bpf_loop(), so the verifier checks this body once instead of once per
 * iteration of an unrolled or bounded loop: that cut the verification of the two programs that
 * walk paths from ~74,000 instructions (~65 ms each) to a few hundred, the largest share of the
 * fixed cost of every `bob record` and `bob verify-install` (docs/tracing.md, Benchmark). */
static long walk_step(__u32 index, void *context)
{
  struct walk_state *state = context;
  __u32 zero = 0;
  struct walk_scratch *scratch = bpf_map_lookup_elem(&walk_scratch_map, &zero);
  if (!scratch) {
    state->status = WALK_FAILED;
    return 1;
  }
  struct dentry *dentry = state->dentry;
  struct mount *mnt = state->mnt;
  struct dentry *mnt_root = state->mnt_root;
  struct parent_and_name link;
  if (read_parent_and_name(dentry, &link) != 0) {
    state->status = WALK_FAILED;
    return 1;
  }
  struct dentry *parent = link.parent;
  if (dentry == mnt_root || dentry == parent) {
    struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
    if (dentry != mnt_root || mnt == mnt_parent || !mnt_parent) {
      /* The namespace root, or a disconnected dentry. A mount root with no parent that is not
       * the namespace root is a detached mount (an fsmount or open_tree clone, or a lazily
       * unmounted one). */
      struct task_struct *task = (struct task_struct *)bpf_get_current_task();
      int detached = dentry == mnt_root && mnt != BPF_CORE_READ(task, nsproxy, mnt_ns, root);
      state->status = detached ? WALK_DETACHED : WALK_DONE;
      return 1;
    }
    struct vfsmount *parent_vfsmnt = &mnt_parent->mnt;
    state->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
    state->mnt = mnt_parent;
    state->vfsmnt = parent_vfsmnt;
    state->mnt_root = BPF_CORE_READ(parent_vfsmnt, mnt_root);
    return 0;
  }
  __u32 len = link.hash_len >> 32; /* struct qstr: the hash, then the length (little endian) */
  const unsigned char *name = link.name;
  int offset = state->offset - (int)len - 1;
  if (len > 255 || offset < WALK_END - (BOB_PATH_MAX - 1)) {
    state->status = WALK_FAILED;
    return 1;
  }
  offset &= WALK_END - 1;
  bpf_probe_read_kernel(&scratch->buf[offset + 1], len & 255, name);
  scratch->buf[offset] = '/';
  state->offset = offset;
  state->dentry = parent;
  return 0;
}

/* Limitation: a walk that ends at another mount namespace's root, or on a detached mount of any
 * file system but procfs, gives a path relative to that root.
 *
 * Builds the absolute path of (dentry, vfsmount) backwards into the per-CPU scratch buffer,
 * ending at WALK_END, crossing mount points up to the namespace root. Returns the offset where
 * the path starts, or a negative value when it would exceed BOB_PATH_MAX - 1 bytes or
 * BOB_PATH_COMPONENTS components. A global function, so the verifier checks it once. */
__noinline int walk_path(__u64 dentry_addr, __u64 vfsmount_addr)
{
  __u32 zero = 0;
  struct walk_scratch *scratch = bpf_map_lookup_elem(&walk_scratch_map, &zero);
  if (!scratch || !dentry_addr || !vfsmount_addr)
    return -1;

  struct walk_state state = {
      .dentry = (struct dentry *)dentry_addr,
      .vfsmnt = (struct vfsmount *)vfsmount_addr,
      .mnt = container_of((struct vfsmount *)vfsmount_addr, struct mount, mnt),
      .mnt_root = BPF_CORE_READ((struct vfsmount *)vfsmount_addr, mnt_root),
      .offset = WALK_END,
      .status = WALK_GOING,
  };
  /* Each component takes a step, and so does each mount point crossed. */
  bpf_loop(BOB_PATH_COMPONENTS * 2, walk_step, &state, 0);
  if (state.status != WALK_DONE && state.status != WALK_DETACHED)
    return -1; /* too long, too deep, or the scratch buffer was missing */
  int offset = state.offset;
  if (offset > WALK_END || offset < WALK_END - (BOB_PATH_MAX - 1))
    return -1;
  /* T5: runc >= 1.2 opens procfs through a detached fsmount; node-agent gives such paths their
   * /proc prefix (node-agent #893), so that /1/uid_map reads as /proc/1/uid_map. */
  struct vfsmount *last_mount = state.vfsmnt; /* a plain pointer: CO-RE reads go through it */
  if (state.status == WALK_DETACHED &&
      BPF_CORE_READ(last_mount, mnt_sb, s_magic) == PROC_SUPER_MAGIC) {
    offset -= 5;
    if (offset < WALK_END - (BOB_PATH_MAX - 1))
      return -1;
    offset &= WALK_END - 1;
    scratch->buf[offset] = '/';
    scratch->buf[offset + 1] = 'p';
    scratch->buf[offset + 2] = 'r';
    scratch->buf[offset + 3] = 'o';
    scratch->buf[offset + 4] = 'c';
  }
  if (offset == WALK_END) {
    offset = WALK_END - 1;
    scratch->buf[offset] = '/';
  }
  return offset;
}

/* Copies the walked path into dst (BOB_PATH_MAX bytes). Returns its length or -1. */
static __always_inline int copy_walked_path(char *dst, int offset)
{
  __u32 zero = 0;
  struct walk_scratch *scratch = bpf_map_lookup_elem(&walk_scratch_map, &zero);
  if (!scratch || offset < 0)
    return -1;
  int len = WALK_END - (offset & (WALK_END - 1));
  if (len <= 0 || len > BOB_PATH_MAX - 1)
    return -1;
  bpf_probe_read_kernel(dst, len & (BOB_PATH_MAX - 1), &scratch->buf[offset & (WALK_END - 1)]);
  return len;
}

/* Helper reads (BPF_CORE_READ) on purpose: plain loads through the BTF task pointer were tried
 * twice. They saved no measurable time per `find /usr` and made the verifier ~10 ms slower at
 * every program load (each access to a kernel struct through a BTF pointer is checked against
 * its BTF, once per verifier state). */
static __always_inline struct file *file_of_fd(struct task_struct *task, int fd)
{
  if (fd < 0)
    return NULL;
  struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt)
    return NULL;
  unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned int)fd >= max_fds)
    return NULL;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *file = NULL;
  bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
  return file;
}

static __always_inline int walk_file(struct file *file)
{
  if (!file)
    return -1;
  return walk_path((__u64)BPF_CORE_READ(file, f_path.dentry),
                   (__u64)BPF_CORE_READ(file, f_path.mnt));
}

static __always_inline int walk_cwd(struct task_struct *task)
{
  return walk_path((__u64)BPF_CORE_READ(task, fs, pwd.dentry),
                   (__u64)BPF_CORE_READ(task, fs, pwd.mnt));
}

static __always_inline struct sock *sock_of_fd(struct task_struct *task, int fd)
{
  struct file *file = file_of_fd(task, fd);
  if (!file)
    return NULL;
  unsigned short mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK)
    return NULL;
  struct socket *sock = BPF_CORE_READ(file, private_data);
  if (!sock)
    return NULL;
  return BPF_CORE_READ(sock, sk);
}

/* ---- process tree ---------------------------------------------------------------------- */

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
  __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
  if (!tgid_is_tracked(parent_tgid))
    return 0;
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  if (parent_tgid == child_tgid)
    return 0; /* a thread: tracked through its tgid already */
  __u64 active = BOB_TRACK_ACTIVE;
  if (bpf_map_update_elem(&tracked, &child_tgid, &active, BPF_ANY) != 0) {
    __sync_fetch_and_add(&lost_tracked, 1);
    return 0;
  }
  set_tgid_active(child_tgid, 1);
  struct bob_fork_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return 0;
  fill_header(&ev->h, BOB_EV_FORK);
  ev->child_pid = child_tgid;
  ev->reserved = 0;
  ev->child_start_ns = BPF_CORE_READ(child, start_boottime);
  bpf_ringbuf_submit(ev, wakeup_flags());
  return 0;
}

/* The exiting task is the current one: a BTF pointer, read with plain loads. */
SEC("raw_tp/sched_process_exit")
int on_exit(void *ctx)
{
  struct task_struct *task = bpf_get_current_task_btf();
  __u32 tgid = task->tgid;
  if (!tgid_is_tracked(tgid))
    return 0;
  if (BPF_CORE_READ(task, signal, live.counter) != 0)
    return 0; /* other threads of the process are still alive */
  bpf_map_delete_elem(&tracked, &tgid);
  set_tgid_active(tgid, 0);
  if (tgid == awaiting_exec_tgid)
    awaiting_exec_tgid = 0;
  struct bob_exit_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return 0;
  fill_header(&ev->h, BOB_EV_EXIT);
  ev->exit_code = task->exit_code;
  ev->reserved = 0;
  bpf_ringbuf_submit(ev, wakeup_flags());
  return 0;
}

/* ---- exec ------------------------------------------------------------------------------ */

/* Captures filename and argv in the IG v0.48.1 layout: args[0] is the filename, then argv[1..19]. */
__noinline int capture_exec_args(__u64 filename_addr, __u64 argv_addr)
{
  __u32 zero = 0;
  struct bob_exec_args *args = bpf_map_lookup_elem(&exec_scratch_map, &zero);
  if (!args)
    return 0;
  const char *filename = (const char *)filename_addr;
  const char *const *argv = (const char *const *)argv_addr;

  long n = bpf_probe_read_user_str(args->filename, sizeof(args->filename), filename);
  args->filename_len = n > 0 ? n - 1 : 0;
  args->truncated = 0;
  args->filename_fault = n <= 0;
  args->argc = 0;
  for (int i = 0; i < BOB_ARG_COUNT; i++) {
    const char *arg = NULL;
    if (i == 0) {
      arg = filename;
    } else if (argv) {
      bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
    }
    if (!arg)
      break;
    long len = bpf_probe_read_user_str(args->args[i], BOB_ARG_READ, arg);
    if (len <= 0 && i == 0) {
      len = 1; /* the filename: user space takes it from bprm->filename instead */
    } else if (len <= 0) {
      args->truncated = 2; /* a string in a page that is not resident: cannot fault here */
      break;
    }
    len -= 1;
    if (len > BOB_ARG_KEEP) {
      len = BOB_ARG_KEEP;
      args->truncated = 1;
    }
    args->arg_len[i] = len;
    args->argc = i + 1;
  }
  if (args->argc == BOB_ARG_COUNT && argv) {
    const char *more = NULL;
    bpf_probe_read_user(&more, sizeof(more), &argv[BOB_ARG_COUNT]);
    if (more)
      args->truncated = 1;
  }
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  if (bpf_map_update_elem(&pending_execs, &tid, args, BPF_ANY) != 0)
    __sync_fetch_and_add(&lost_pending, 1);
  return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
  __u32 exec_tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_is_tracked(exec_tgid))
    return 0;
  if (exec_tgid == awaiting_exec_tgid) {
    __u64 active = BOB_TRACK_ACTIVE;
    bpf_map_update_elem(&tracked, &exec_tgid, &active, BPF_EXIST);
    set_tgid_active(exec_tgid, 1);
    awaiting_exec_tgid = 0;
  }
  struct bob_exec_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return 0;
  fill_header(&ev->h, BOB_EV_EXEC);
  ev->old_tid = old_pid;

  __u32 key = old_pid;
  struct bob_exec_args *args = bpf_map_lookup_elem(&pending_execs, &key);
  if (args) {
    bpf_probe_read_kernel(&ev->args, sizeof(ev->args), args);
    bpf_map_delete_elem(&pending_execs, &key);
    ev->has_args = 1;
  } else {
    ev->has_args = 0;
    ev->args.argc = 0;
    ev->args.filename_len = 0;
    ev->args.truncated = 0;
    ev->args.filename_fault = 1;
  }
  long kn = bpf_probe_read_kernel_str(ev->kernel_filename, sizeof(ev->kernel_filename),
                                      BPF_CORE_READ(bprm, filename));
  ev->kernel_filename_len = kn > 0 ? kn - 1 : 0;
  ev->reserved = 0;

  struct file *exe = BPF_CORE_READ(task, mm, exe_file);
  ev->exe_len = copy_walked_path(ev->exe, walk_file(exe));
  ev->cwd_len = copy_walked_path(ev->cwd, walk_cwd(task));

  unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
  unsigned long len = arg_end > arg_start ? arg_end - arg_start : 0;
  ev->cmdline_truncated = len > BOB_CMDLINE_MAX;
  if (len > BOB_CMDLINE_MAX)
    len = BOB_CMDLINE_MAX;
  if (bpf_probe_read_user(ev->cmdline, len, (void *)arg_start) != 0)
    len = 0;
  ev->cmdline_len = len;
  bpf_ringbuf_submit(ev, wakeup_flags());
  return 0;
}

static __always_inline void exec_exit(long ret)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct bob_exec_args *args = bpf_map_lookup_elem(&pending_execs, &tid);
  if (ret >= 0) {
    if (args)
      bpf_map_delete_elem(&pending_execs, &tid);
    return;
  }
  if (!current_is_tracked())
    return;
  __sync_fetch_and_add(&failed_execs, 1);
  struct bob_exec_failed_event *ev = reserve(sizeof(*ev));
  if (ev) {
    fill_header(&ev->h, BOB_EV_EXEC_FAILED);
    ev->error = (__s32)-ret;
    ev->filename_len = 0;
    if (args) {
      bpf_probe_read_kernel(ev->filename, sizeof(ev->filename), args->filename);
      ev->filename_len = args->filename_len & (BOB_PATH_MAX - 1);
    }
    bpf_ringbuf_submit(ev, wakeup_flags());
  }
  if (args)
    bpf_map_delete_elem(&pending_execs, &tid);
}

/* ---- opens ----------------------------------------------------------------------------- */

struct open_args {
  __u64 fname;   /* user pointer */
  __u32 flags;
  __s32 dirfd;
  __u32 syscall;
};

/* An open of a tracked process, at its exit. The arguments are read from the registers the
 * syscall was made with: the kernel leaves them in pt_regs until the return to user space, so no
 * per-thread map has to carry them from entry to exit (a map update, lookup and delete per open
 * were a large share of what tracing `find /usr` cost; docs/tracing.md, Benchmark). */
static __always_inline void open_exit(struct bob_pt_regs *regs, long id, long ret)
{
  if (!current_is_active())
    return;
  struct open_args saved = {};
  switch (id) {
  case NR_open:
    saved = (struct open_args){.fname = regs->di, .flags = regs->si, .dirfd = -100,
                               .syscall = BOB_OPEN};
    break;
  case NR_creat:
    saved = (struct open_args){.fname = regs->di, .flags = 01 | 0100 | 01000, .dirfd = -100,
                               .syscall = BOB_CREAT};
    break;
  case NR_openat:
    saved = (struct open_args){.fname = regs->si, .flags = regs->dx, .dirfd = regs->di,
                               .syscall = BOB_OPENAT};
    break;
  default: { /* openat2: the flags are the first member of its struct open_how */
    __u64 flags = 0;
    bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->dx);
    saved = (struct open_args){.fname = regs->si, .flags = (__u32)flags, .dirfd = regs->di,
                               .syscall = BOB_OPENAT2};
    break;
  }
  }

  /* Built in per-CPU scratch and sent with bpf_ringbuf_output() at its used length (see
   * struct bob_open_event): a fixed-size reserve would take 1.1 KB of ring per open. */
  __u32 zero = 0;
  struct bob_open_event *ev = bpf_map_lookup_elem(&open_scratch_map, &zero);
  if (!ev)
    return;
  fill_header(&ev->h, BOB_EV_OPEN);
  ev->ret = (__s32)ret;
  ev->flags = saved.flags;
  ev->syscall = saved.syscall;
  ev->dirfd = saved.dirfd;
  ev->reserved = 0;
  /* node-agent reads the name at exit, when the kernel has certainly copied it. */
  long n = bpf_probe_read_user_str(ev->data, BOB_PATH_MAX, (const char *)saved.fname);
  __u32 fname_len = n > 0 ? (n - 1) & (BOB_PATH_MAX - 1) : 0;
  ev->fname_len = fname_len;

  struct task_struct *task = bpf_get_current_task_btf();
  int offset = -1;
  ev->path_kind = BOB_PATH_NONE;
  if (ret >= 0) {
    offset = walk_file(file_of_fd(task, (int)ret));
    ev->path_kind = BOB_PATH_FILE;
  }
  if (offset < 0 && n > 1 && ev->data[0] != '/') {
    /* A failed relative open: send the directory it was relative to, user space joins. */
    if (saved.syscall == BOB_OPEN || saved.syscall == BOB_CREAT || saved.dirfd == -100) {
      offset = walk_cwd(task);
      ev->path_kind = BOB_PATH_CWD;
    } else {
      offset = walk_file(file_of_fd(task, saved.dirfd));
      ev->path_kind = BOB_PATH_DIRFD;
    }
  }
  int path_len = copy_walked_path(&ev->data[fname_len], offset);
  ev->path_len = path_len;
  __u64 size = sizeof(*ev) - sizeof(ev->data) + fname_len;
  if (path_len > 0)
    size += path_len & (BOB_PATH_MAX - 1);
  if (bpf_ringbuf_output(&events, ev, size, wakeup_flags()) != 0)
    __sync_fetch_and_add(&lost_ringbuf, 1);
}

/* ---- network --------------------------------------------------------------------------- */

/* Reads a sockaddr_in/in6 from user memory into ev. Returns 0 when it is IPv4 or IPv6. */
static __always_inline int read_sockaddr(struct bob_net_event *ev, __u64 addr, __u64 addrlen)
{
  __u16 family = 0;
  if (!addr || addrlen < 2)
    return -1;
  bpf_probe_read_user(&family, sizeof(family), (void *)addr);
  ev->family = family;
  if (family == AF_INET && addrlen >= sizeof(struct bob_sockaddr_in)) {
    struct bob_sockaddr_in sin = {};
    bpf_probe_read_user(&sin, sizeof(sin), (void *)addr);
    ev->port = bpf_ntohs(sin.port);
    __builtin_memset(ev->addr, 0, sizeof(ev->addr));
    __builtin_memcpy(ev->addr, &sin.addr, 4);
    return 0;
  }
  if (family == AF_INET6 && addrlen >= 24) {
    struct bob_sockaddr_in6 sin6 = {};
    bpf_probe_read_user(&sin6, 24, (void *)addr); /* family, port, flowinfo, address */
    ev->port = bpf_ntohs(sin6.port);
    __builtin_memcpy(ev->addr, sin6.addr, 16);
    return 0;
  }
  return -1;
}

static __always_inline void peer_of_sock(struct bob_net_event *ev, struct sock *sk)
{
  ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  ev->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  ev->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  __builtin_memset(ev->addr, 0, sizeof(ev->addr));
  if (ev->family == AF_INET) {
    __u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(ev->addr, &daddr, 4);
  } else {
    BPF_CORE_READ_INTO(&ev->addr, sk, __sk_common.skc_v6_daddr);
  }
}

/* connect, or a send with an explicit destination or on a connected UDP socket (for DNS). */
/* kind_fd: the kind in the high 32 bits, the fd in the low ones (five arguments at most). */
__noinline int net_enter(__u64 kind_fd, __u64 addr, __u64 addrlen, __u64 payload,
                         __u64 payload_len)
{
  __u32 kind = kind_fd >> 32;
  int fd = (int)(__u32)kind_fd;
  struct task_struct *task = bpf_get_current_task_btf();
  struct sock *sk = sock_of_fd(task, fd);
  if (!sk)
    return 0;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (family != AF_INET && family != AF_INET6)
    return 0;
  __u16 protocol = BPF_CORE_READ(sk, sk_protocol);
  if (kind == BOB_NET_SEND && protocol != IPPROTO_UDP)
    return 0; /* TCP data: the connect already told where it goes */

  struct bob_net_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return 0;
  fill_header(&ev->h, BOB_EV_NET);
  ev->kind = kind;
  ev->protocol = protocol;
  ev->local_port = 0;
  ev->payload_len = 0;
  if (read_sockaddr(ev, addr, addrlen) != 0) {
    if (kind == BOB_NET_CONNECT || addr) {
      bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP); /* AF_UNSPEC, AF_UNIX, ... */
      return 0;
    }
    peer_of_sock(ev, sk); /* a send on a connected socket */
  }
  if (kind == BOB_NET_SEND && ev->port != 53) {
    bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP); /* only DNS queries are of interest */
    return 0;
  }
  if (kind == BOB_NET_SEND && payload) {
    __u64 len = payload_len > BOB_PAYLOAD_MAX ? BOB_PAYLOAD_MAX : payload_len;
    if (bpf_probe_read_user(ev->payload, len, (void *)payload) == 0)
      ev->payload_len = len;
  }
  bpf_ringbuf_submit(ev, wakeup_flags());
  return 0;
}

static __always_inline __u64 net_arg(__u32 kind, __u64 fd)
{
  return ((__u64)kind << 32) | (__u32)fd;
}

/* sendmsg/sendmmsg: destination in msg_name, first buffer in msg_iov[0]. */
static __always_inline void send_msghdr(int fd, __u64 msg)
{
  struct bob_msghdr hdr = {};
  if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)msg) != 0)
    return;
  struct bob_iovec iov = {};
  if (hdr.iov && hdr.iovlen > 0)
    bpf_probe_read_user(&iov, sizeof(iov), (void *)hdr.iov);
  net_enter(net_arg(BOB_NET_SEND, fd), hdr.name, hdr.namelen, iov.base, iov.len);
}

static __always_inline void accept_exit(long ret)
{
  if (ret < 0 || !current_is_tracked())
    return;
  struct task_struct *task = bpf_get_current_task_btf();
  struct sock *sk = sock_of_fd(task, (int)ret);
  if (!sk)
    return;
  struct bob_net_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return;
  fill_header(&ev->h, BOB_EV_NET);
  ev->kind = BOB_NET_ACCEPT;
  ev->protocol = BPF_CORE_READ(sk, sk_protocol);
  ev->payload_len = 0;
  peer_of_sock(ev, sk);
  bpf_ringbuf_submit(ev, wakeup_flags());
}

/* ---- every syscall: the per-tree set, plus argument capture for the ones above ---------- */

static __always_inline void capture_arguments(long id, struct bob_pt_regs *regs)
{
  switch (id) {
  case NR_execve:
    capture_exec_args(regs->di, regs->si);
    break;
  case NR_execveat:
    capture_exec_args(regs->si, regs->dx);
    break;
  case NR_connect:
    net_enter(net_arg(BOB_NET_CONNECT, regs->di), regs->si, regs->dx, 0, 0);
    break;
  case NR_sendto:
    net_enter(net_arg(BOB_NET_SEND, regs->di), regs->r8, regs->r9, regs->si, regs->dx);
    break;
  case NR_sendmsg:
    send_msghdr(regs->di, regs->si);
    break;
  /* Limitation: DNS over TCP, or sent with write(), is not parsed; only its connect is seen. */
  case NR_sendmmsg:
    /* glibc's resolver sends the A and AAAA queries in one sendmmsg; the first has the name. */
    if (regs->si && regs->dx > 0)
      send_msghdr(regs->di, regs->si); /* the first struct mmsghdr starts with its msghdr */
    break;
  default:
    break;
  }
}

/* Both programs run on every syscall of every process on the machine while bob traces, so they
 * return as early and as cheaply as they can. They are BTF-typed raw tracepoints (tp_btf), so
 * `regs` is a BTF pointer and its fields are plain loads: as a raw_tp, the syscall number alone
 * cost two helper calls (~35 ns) per syscall of every process. The section is bob's own:
 * libbpf's tp_btf would read and search the kernel's whole BTF for the attach point at every
 * start, while bob gives it the type id it found in its own reading of that BTF
 * (kernel_btf.cpp, prepare_btf_tracepoint). */
SEC("bob_tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *kernel_regs, long id)
{
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_is_active(tgid) &&
      (tgid != awaiting_exec_tgid || tgid == 0 || (id != NR_execve && id != NR_execveat)))
    return 0;
  /* Test before writing: a store on every syscall would bounce the cache line between CPUs. */
  if (id >= 0 && id < BOB_SYSCALL_SLOTS && !syscalls_seen[id & (BOB_SYSCALL_SLOTS - 1)])
    syscalls_seen[id & (BOB_SYSCALL_SLOTS - 1)] = 1;

  switch (id) {
  case NR_execve:
  case NR_execveat:
  case NR_connect:
  case NR_sendto:
  case NR_sendmsg:
  case NR_sendmmsg:
    capture_arguments(id, (struct bob_pt_regs *)kernel_regs);
    break;
  default:
    break;
  }
  return 0;
}

/* Only opens, execs and accepts need their result. The syscall number is checked first, so the
 * other syscalls (of tracked and untracked processes alike) cost one load and no map lookup;
 * pending_execs holds entries of tracked threads only. */
SEC("bob_tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *kernel_regs, long ret)
{
  struct bob_pt_regs *regs = (struct bob_pt_regs *)kernel_regs;
  long id = regs->orig_ax;
  switch (id) {
  case NR_open:
  case NR_openat:
  case NR_openat2:
  case NR_creat:
    open_exit(regs, id, ret);
    break;
  case NR_execve:
  case NR_execveat:
    exec_exit(ret);
    break;
  case NR_accept:
  case NR_accept4:
    accept_exit(ret);
    break;
  default:
    break;
  }
  return 0;
}

/* ---- capabilities (optional: the tracepoint exists from Linux 6.14) --------------------- */

SEC("raw_tp/cap_capable")
int BPF_PROG(on_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
             const struct user_namespace *capable_ns, int cap, int ret)
{
  if (cap < 0 || cap >= BOB_CAP_SLOTS || !current_is_active())
    return 0;
  struct task_struct *task = bpf_get_current_task_btf();
  /* bprm and override_creds checks (exec set-up, overlayfs) are not the process's own. */
  if ((__u64)cred != (__u64)BPF_CORE_READ(task, real_cred))
    return 0;
  struct bob_pt_regs *regs = (struct bob_pt_regs *)bpf_task_pt_regs(task);
  long syscall = -1;
  if (regs)
    bpf_probe_read_kernel(&syscall, sizeof(syscall), &regs->orig_ax);
  if (cap == CAP_SYS_ADMIN) {
    /* The noaudit memory-accounting check in vm_enough_memory (see docs/tracing.md). */
    switch (syscall) {
    case NR_mmap: case NR_brk: case NR_mremap: case NR_mprotect: case NR_shmget:
    case NR_execve: case NR_execveat:
      return 0;
    default:
      break;
    }
  }
  /* Limitation: each capability is reported once per run (first process, first result), not
   * once per process. */
  if (caps_seen[cap & (BOB_CAP_SLOTS - 1)])
    return 0;
  caps_seen[cap & (BOB_CAP_SLOTS - 1)] = 1;
  struct bob_cap_event *ev = reserve(sizeof(*ev));
  if (!ev)
    return 0;
  fill_header(&ev->h, BOB_EV_CAP);
  ev->cap = cap;
  ev->ret = ret;
  ev->syscall = (__s32)syscall;
  ev->reserved = 0;
  bpf_ringbuf_submit(ev, wakeup_flags());
  return 0;
}
