// Preloaded into the mount daemon (LD_PRELOAD; see max-pages.ts): lets the kernel send FUSE requests of
// up to 1 MiB instead of 128 KiB.
//
// fuse-native runs on libfuse 2.9, which answers the kernel's INIT request with the 24-byte reply of
// FUSE protocol 7.19. Since Linux 4.20 the kernel takes a request size in pages from the reply
// (max_pages, with the FUSE_MAX_PAGES flag) and otherwise keeps 32 pages: 128 KiB. libfuse 2.9 never
// offers it. This wraps writev(2), which libfuse sends every reply with, and when the reply is that
// INIT reply on a /dev/fuse descriptor, sends the 64-byte form the kernel has read since 3.15 with the
// flag and 256 pages added. Everything else in the reply is libfuse's; every other writev is passed on
// untouched. A kernel that predates max_pages ignores the flag and stays at 128 KiB. The mount's
// max_read option still bounds a request, so the mount asks for 1 MiB only with this library loaded.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#define FUSE_MAX_PAGES (1u << 22)
#define MAX_PAGES 256 // 1 MiB of 4 KiB pages: the kernel's default fuse_max_pages_limit
#define FUSE_MISC_MAJOR 10
#define FUSE_MINOR 229 // /dev/fuse

struct fuse_out_header {
  uint32_t len;
  int32_t error;
  uint64_t unique;
};

// The first 24 bytes are all libfuse 2.9 sends; the kernel reads the rest as zero when it is missing.
struct fuse_init_out {
  uint32_t major;
  uint32_t minor;
  uint32_t max_readahead;
  uint32_t flags;
  uint16_t max_background;
  uint16_t congestion_threshold;
  uint32_t max_write;
  uint32_t time_gran;
  uint16_t max_pages;
  uint16_t map_alignment;
  uint32_t unused[8];
};
_Static_assert(sizeof(struct fuse_init_out) == 64, "FUSE 7.23+ INIT reply is 64 bytes");

#define LIBFUSE_INIT_OUT 24

static ssize_t (*next_writev)(int, const struct iovec *, int);

static int is_fuse_device(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == FUSE_MISC_MAJOR && minor(st.st_rdev) == FUSE_MINOR;
}

static int is_libfuse_init_reply(int fd, const struct iovec *iov, int count) {
  if (count != 2 || iov[0].iov_len != sizeof(struct fuse_out_header) || iov[1].iov_len != LIBFUSE_INIT_OUT) return 0;
  const struct fuse_out_header *head = iov[0].iov_base;
  const struct fuse_init_out *init = iov[1].iov_base; // only its first 24 bytes are read here
  return head->len == sizeof(*head) + LIBFUSE_INIT_OUT && head->error == 0 && init->major == 7 && is_fuse_device(fd);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
  if (!next_writev) next_writev = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
  if (!is_libfuse_init_reply(fd, iov, count)) return next_writev(fd, iov, count);
  struct fuse_out_header head = *(const struct fuse_out_header *)iov[0].iov_base;
  struct fuse_init_out init;
  memset(&init, 0, sizeof(init));
  memcpy(&init, iov[1].iov_base, LIBFUSE_INIT_OUT);
  init.flags |= FUSE_MAX_PAGES;
  init.max_pages = MAX_PAGES;
  head.len = sizeof(head) + sizeof(init);
  const struct iovec reply[2] = {{&head, sizeof(head)}, {&init, sizeof(init)}};
  ssize_t sent = next_writev(fd, reply, 2);
  // libfuse asked to write its 40 bytes: report those, so that it sees the reply as sent whole.
  return sent == (ssize_t)head.len ? (ssize_t)(sizeof(head) + LIBFUSE_INIT_OUT) : sent;
}
