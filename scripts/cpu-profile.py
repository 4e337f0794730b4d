#!/usr/bin/env python3
"""Where a process's CPU went, from `perf script -F tid,ip,sym,dso` of a `perf record -g`: CPU seconds
(per GiB read, given the bytes) by thread role and by what the CPU was doing.

Usage: cpu-profile.py PERF_SCRIPT_OUTPUT MAIN_TID HZ BYTES [TITLE]

A sample is one stack (leaf first). Its thread's role comes from the frames seen on that thread; what it
did comes from its own frames, the first matching rule below winning.
"""
import collections
import sys

# Thread roles, from frames that only that kind of thread runs.
ROLES = [
    ("FUSE threads (libfuse, fuse-native)", ("libfuse.so",)),
    ("MD5 worker", ("node::worker::Worker::Run",)),
    ("libuv thread pool", ("uv__fs_work", "uv__work_done", "worker (/", "uv_sem_wait")),
    ("leveldb", ("leveldb::",)),
    ("V8 background (JIT, GC)", ("DefaultJobWorker", "WorkerThreadsTaskRunner", "PlatformWorker")),
]

# What a sample did: (label, substrings of any frame). Kernel rules look at the whole stack; user rules
# at the leaf, except the compiler and GC, which own everything beneath them.
WHAT = [
    ("MD5", ("md5_block", "MD5_Update", "md5_update")),
    ("CRC-32 of blocks", ("crc32.linux",)),
    ("kernel: page faults", ("asm_exc_page_fault",)),
    ("kernel: FUSE device (requests, replies)", ("fuse_dev_",)),
    ("kernel: socket receive", ("tcp_recvmsg", "sock_read_iter", "tcp_rcv", "tcp_v4_rcv")),
    ("kernel: socket send", ("tcp_sendmsg", "__tcp_transmit_skb")),
    # libuv reads and writes files at an offset (pread64, pwrite64); plain read and write are its eventfd wake-ups.
    ("kernel: block files (open, read, write, rename)", ("__x64_sys_openat", "__x64_sys_close", "__x64_sys_pread", "__x64_sys_pwrite",
                                                         "__x64_sys_rename", "__x64_sys_unlink", "ext4_", "iomap_")),
    ("kernel: thread wake-ups and waits (futex)", ("__x64_sys_futex",)),
    ("kernel: event loop (epoll)", ("__x64_sys_epoll",)),
    ("kernel: scheduling, other", ("[kernel.kallsyms]",)),
    ("V8: compiling (JIT)", ("v8::internal::compiler::", "BytecodeGenerator", "v8::internal::Compiler::", "Builtins_CompileLazy",
                            "v8::internal::baseline::", "v8::internal::maglev::")),
    ("V8: garbage collection", ("v8::internal::Heap::", "Scavenge", "MarkCompact", "ConcurrentMarking", "Sweeper", "MarkingVisitor")),
    ("memcpy", ("__memmove", "__memcpy", "__memset")),
    ("JavaScript (JIT code, builtins, ICs)", ("JS:", "Builtins_", "perf-", "[JIT]")),
    ("V8/Node runtime, other native", ("",)),
]
KERNEL_SCOPE = "kernel:"
GC = "V8: garbage collection"
# A cold GiB costs V8 about 0.06 s of GC without perf; under perf it sometimes costs 1 s and more.
GC_STORM_S_PER_GIB = 0.5


def read_samples(path):
    samples, cur = [], None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if not line.startswith("\t"):  # a sample's first line: its thread id (right-aligned)
                cur = [int(line.split()[0]), []]
                samples.append(cur)
            elif cur is not None:  # one frame a line, tab-indented: "ip symbol (dso)"
                cur[1].append(line.strip())
    return samples


def what(frames):
    leaf = frames[0] if frames else ""
    joined = " ".join(frames)
    for label, keys in WHAT:
        if label.startswith(KERNEL_SCOPE) or label in ("MD5", "V8: compiling (JIT)", GC):
            if any(k in joined for k in keys):
                return label
        elif any(k in leaf for k in keys):
            return label
    return WHAT[-1][0]


def main():
    path, main_tid, hz, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    title = sys.argv[5] if len(sys.argv) > 5 else path
    gib = size / 2**30
    samples = read_samples(path)
    seen = collections.defaultdict(set)
    for tid, frames in samples:
        seen[tid].update(frames)

    def role(tid):
        if tid == main_tid:
            return "main thread (event loop)"
        text = " ".join(seen[tid])
        return next((name for name, keys in ROLES if any(k in text for k in keys)), "other threads")

    by_role = collections.Counter()
    by_what = collections.defaultdict(collections.Counter)
    for tid, frames in samples:
        r, w = role(tid), what(frames)
        by_role[r] += 1
        by_what[r][w] += 1
    total = sum(by_role.values())
    per = lambda n: n / hz / gib
    print(f"### {title}\n")
    print(f"{total / hz:.2f} CPU s sampled in all, {per(total):.2f} s per GiB ({gib:.2f} GiB read).\n")
    print("| thread | what | s/GiB |")
    print("|---|---|---|")
    for r, n in by_role.most_common():
        print(f"| **{r}** | all | **{per(n):.2f}** |")
        for w, m in by_what[r].most_common():
            if per(m) >= 0.01:
                print(f"| | {w} | {per(m):.2f} |")
    gc = sum(c[GC] for c in by_what.values())
    if per(gc) > GC_STORM_S_PER_GIB:
        print(f"\n{per(gc):.2f} s/GiB of garbage collection: V8 ran major GCs back to back, as it often does under perf "
              "and not without it (docs/benchmarks.md); the other figures of this phase suffer from it too: profile again.")
    print()


if __name__ == "__main__":
    main()
