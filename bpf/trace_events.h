/* The records the tracer's BPF programs write to the ring buffer, shared with user space.
 *
 * Only __u8/__u16/__u32/__u64 types are used, so that the header compiles both against
 * vmlinux.h (BPF side) and against <linux/types.h> (user space). Variable-length text is sent
 * with an explicit length; bytes after the length are undefined (records are not zeroed, to keep
 * the per-event cost low), so readers must honour the lengths.
 */
#ifndef BOB_TRACE_EVENTS_H
#define BOB_TRACE_EVENTS_H

#define BOB_PATH_MAX 512      /* node-agent's GADGET_PATH_MAX: at most 511 bytes of path */
#define BOB_PATH_COMPONENTS 80
#define BOB_ARG_COUNT 20      /* IG v0.48.1 TOTAL_MAX_ARGS */
#define BOB_ARG_KEEP 255      /* characters kept per arg (IG ARGSIZE 256 with the NUL) */
#define BOB_ARG_READ 257      /* read one more than kept to tell "exactly 255" from "longer" */
#define BOB_ARG_SLOT 264
#define BOB_CMDLINE_MAX 4096
#define BOB_PAYLOAD_MAX 256   /* first bytes of a DNS query */
#define BOB_SYSCALL_SLOTS 1024
#define BOB_CAP_SLOTS 64

enum bob_event_type {
  BOB_EV_FORK = 1,
  BOB_EV_EXEC = 2,
  BOB_EV_EXEC_FAILED = 3,
  BOB_EV_EXIT = 4,
  BOB_EV_OPEN = 5,
  BOB_EV_NET = 6,
  BOB_EV_CAP = 7,
};

enum bob_open_syscall { BOB_OPEN = 0, BOB_OPENAT = 1, BOB_OPENAT2 = 2, BOB_CREAT = 3 };

/* Which directory `path` of an open event holds. */
enum bob_path_kind {
  BOB_PATH_NONE = 0,      /* nothing could be resolved */
  BOB_PATH_FILE = 1,      /* the opened file itself, from the returned fd */
  BOB_PATH_CWD = 2,       /* the working directory, to join a relative fname onto */
  BOB_PATH_DIRFD = 3,     /* the directory of dirfd, to join a relative fname onto */
};

enum bob_net_kind { BOB_NET_CONNECT = 1, BOB_NET_SEND = 2, BOB_NET_ACCEPT = 3 };

struct bob_header {
  __u32 type;
  __u32 pid;        /* tgid */
  __u32 tid;
  __u32 uid;
  __u32 gid;
  __u32 reserved;
  __u64 start_ns;   /* the process's (group leader's) start_boottime */
  char comm[16];
};

struct bob_fork_event {
  struct bob_header h;
  __u32 child_pid;
  __u32 reserved;
  __u64 child_start_ns;
};

struct bob_exit_event {
  struct bob_header h;
  __s32 exit_code;  /* wait(2) status word */
  __u32 reserved;
};

/* What sys_enter_execve(at) captured, kept per thread until the exec succeeds or fails. */
struct bob_exec_args {
  __u32 filename_len;
  __u32 argc;             /* args captured, args[0] being the filename */
  __u32 truncated;        /* 1: more than BOB_ARG_COUNT args, or an arg longer than
                           * BOB_ARG_KEEP; 2: an arg was not readable (page not resident) */
  __u32 filename_fault;   /* the filename was not readable (page not resident): see exec event */
  __u16 arg_len[BOB_ARG_COUNT];
  char filename[BOB_PATH_MAX];
  char args[BOB_ARG_COUNT][BOB_ARG_SLOT];
};

struct bob_exec_event {
  struct bob_header h;
  __u32 old_tid;
  __u32 has_args;         /* 0 when the execve entry was not seen (should not happen) */
  __s32 exe_len;          /* < 0: could not be resolved within the caps */
  __s32 cwd_len;
  __u32 cmdline_len;
  __u32 cmdline_truncated;
  char exe[BOB_PATH_MAX];
  char cwd[BOB_PATH_MAX];
  __u32 kernel_filename_len;
  __u32 reserved;
  char kernel_filename[BOB_PATH_MAX];  /* bprm->filename: "/dev/fd/N" for AT_EMPTY_PATH */
  char cmdline[BOB_CMDLINE_MAX];
  struct bob_exec_args args;
};

struct bob_exec_failed_event {
  struct bob_header h;
  __s32 error;
  __u32 filename_len;
  char filename[BOB_PATH_MAX];
};

/* Variable length: only the header and the used bytes of `data` are sent (opens are the bulk of
 * the records, and most names and paths are far shorter than 511 bytes). `data` holds the name
 * (fname_len bytes, no NUL), then the path (path_len bytes, no NUL) right after it. */
struct bob_open_event {
  struct bob_header h;
  __s32 ret;              /* fd, or -errno */
  __u32 flags;
  __u32 syscall;          /* enum bob_open_syscall */
  __s32 dirfd;
  __u32 path_kind;        /* enum bob_path_kind */
  __s32 path_len;         /* < 0: the walk hit the length or component cap */
  __u32 fname_len;
  __u32 reserved;
  char data[2 * BOB_PATH_MAX];
};

struct bob_net_event {
  struct bob_header h;
  __u32 kind;             /* enum bob_net_kind */
  __u16 family;           /* AF_INET or AF_INET6 */
  __u16 protocol;         /* IPPROTO_TCP, IPPROTO_UDP, ... */
  __u16 port;             /* host order; remote port (local port for accept) */
  __u16 local_port;
  __u32 payload_len;      /* DNS query bytes copied (sends to port 53 only) */
  __u8 addr[16];          /* remote address, network order */
  __u8 payload[BOB_PAYLOAD_MAX];
};

struct bob_cap_event {
  struct bob_header h;
  __s32 cap;
  __s32 ret;
  __s32 syscall;
  __u32 reserved;
};

#endif
