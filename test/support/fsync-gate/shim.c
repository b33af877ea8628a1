// LD_PRELOAD shim for durability tests: fdatasync, fsync, syncfs, msync(MS_SYNC), sync_file_range
// wait (1 ms polls) while the file REHYDRA_FSYNC_GATE exists, then run for real. Each call appends
// "enter <call> <fd|len> <tid>" / "exit ... <rc>" to REHYDRA_FSYNC_LOG (one O_APPEND write per line:
// atomic, any thread). REHYDRA_FSYNC_FAIL is a one-shot trigger: the call that unlinks it fails (EIO);
// while the file REHYDRA_FSYNC_FAIL_ALL exists, every call fails (EIO) without syncing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int (*real_fdatasync)(int), (*real_fsync)(int), (*real_syncfs)(int);
static int (*real_msync)(void *, size_t, int);
static int (*real_sync_file_range)(int, off64_t, off64_t, unsigned int);
static const char *gate_path, *fail_path, *fail_all_path;
static int log_fd = -1;

__attribute__((constructor)) static void shim_init(void) {
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_syncfs = dlsym(RTLD_NEXT, "syncfs");
  real_msync = dlsym(RTLD_NEXT, "msync");
  real_sync_file_range = dlsym(RTLD_NEXT, "sync_file_range");
  gate_path = getenv("REHYDRA_FSYNC_GATE");
  fail_path = getenv("REHYDRA_FSYNC_FAIL");
  fail_all_path = getenv("REHYDRA_FSYNC_FAIL_ALL");
  const char *log_path = getenv("REHYDRA_FSYNC_LOG");
  if (log_path && *log_path) log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static void note(const char *what, const char *call, long arg, const char *rc) {
  if (log_fd < 0) return;
  char line[128];
  int n = snprintf(line, sizeof line, "%s %s %ld %ld%s\n", what, call, arg, (long)syscall(SYS_gettid), rc);
  if (n > 0) (void)!write(log_fd, line, (size_t)n);
}

static int gated(const char *call, long arg, int (*run)(void *), void *ctx) {
  note("enter", call, arg, "");
  int saved = errno;
  const struct timespec ms = {0, 1000000};
  while (gate_path && *gate_path && access(gate_path, F_OK) == 0) nanosleep(&ms, NULL);
  errno = saved;
  int fail = (fail_path && *fail_path && unlink(fail_path) == 0) || (fail_all_path && *fail_all_path && access(fail_all_path, F_OK) == 0);
  int rc = fail ? (errno = EIO, -1) : run(ctx);
  int err = errno;
  char tail[16];
  snprintf(tail, sizeof tail, " %d", rc);
  note("exit", call, arg, tail);
  errno = err;
  return rc;
}

struct args { int fd; void *addr; size_t len; int flags; off64_t off, n; unsigned int uflags; };
static int do_fdatasync(void *a) { return real_fdatasync(((struct args *)a)->fd); }
static int do_fsync(void *a) { return real_fsync(((struct args *)a)->fd); }
static int do_syncfs(void *a) { return real_syncfs(((struct args *)a)->fd); }
static int do_msync(void *v) { struct args *a = v; return real_msync(a->addr, a->len, a->flags); }
static int do_sfr(void *v) { struct args *a = v; return real_sync_file_range(a->fd, a->off, a->n, a->uflags); }

int fdatasync(int fd) { struct args a = {.fd = fd}; return gated("fdatasync", fd, do_fdatasync, &a); }
int fsync(int fd) { struct args a = {.fd = fd}; return gated("fsync", fd, do_fsync, &a); }
int syncfs(int fd) { struct args a = {.fd = fd}; return gated("syncfs", fd, do_syncfs, &a); }
int msync(void *addr, size_t len, int flags) {
  if (flags & MS_ASYNC) return real_msync(addr, len, flags);  // only schedules writeback
  struct args a = {.addr = addr, .len = len, .flags = flags};
  return gated("msync", (long)len, do_msync, &a);
}
int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
  struct args a = {.fd = fd, .off = off, .n = n, .uflags = flags};
  return gated("sync_file_range", fd, do_sfr, &a);
}
