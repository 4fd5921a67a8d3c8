#!/usr/bin/env python3
"""Prints what grew in a daemon's memory between two snapshots of bench/memory.sh (NMT=1): BASE.idle.* and
BASE.load.* (jcmd VM.native_memory summary scale=KB, jcmd GC.heap_info, /proc/PID/smaps_rollup, pmap -x).
Usage: nmt-table.py BASE...  NMT's "committed" is what the JVM asked the kernel for, not what is resident:
the heap's resident part comes from pmap over GC.heap_info's address range. Malloc'd memory is resident in
glibc's arenas (the brk heap after the java executable, and 64 MiB-aligned mappings of the other arenas);
what they hold beyond NMT's malloc total is native libraries' malloc (BoringSSL, zlib) and glibc's free
chunks not given back."""
import re
import sys

ARENA_ALIGN = 64 << 20
# NMT categories, in the order printed; the rest are summed
CATEGORIES = ["Java Heap", "Class", "Metaspace", "Shared class space", "Code", "GC", "Thread", "Other",
              "Compiler", "Arena Chunk", "Symbol", "Internal"]


def snapshot(base):
    nmt = open(base + ".nmt").read()
    committed = {m.group(1): int(m.group(2)) for m in
                 re.finditer(r"^-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB", nmt, re.M)}
    figures = {"RSS": int(re.search(r"^Rss:\s+(\d+)", open(base + ".smaps").read(), re.M).group(1))}
    ranges = [(int(a, 16), int(b, 16)) for a, b in
              re.findall(r"\[(0x[0-9a-f]+), (?:0x[0-9a-f]+, )?(0x[0-9a-f]+)\)", open(base + ".heap").read())]
    heap_start, heap_end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    heap = arenas = 0
    after_java = False
    for line in open(base + ".pmap"):
        parts = line.split()
        if len(parts) < 6 or not re.fullmatch(r"[0-9a-f]{16}", parts[0]):
            continue
        address, rss, name = int(parts[0], 16), int(parts[2]), " ".join(parts[5:])
        if heap_start <= address < heap_end:
            heap += rss
        elif name == "[ anon ]" and (after_java or address % ARENA_ALIGN == 0):
            arenas += rss
        after_java = name == "java"
    figures["Java heap, resident"] = heap
    for category in CATEGORIES:
        figures["NMT " + category] = committed.get(category, 0)
    figures["NMT the rest"] = sum(v for k, v in committed.items() if k not in CATEGORIES)
    figures["threads"] = int(re.search(r"threads #(\d+)", nmt).group(1)) * 1024
    malloc = int(re.search(r"^\s*malloc: (\d+)KB", nmt, re.M).group(1))
    figures["NMT malloc (in the categories)"] = malloc
    figures["glibc arenas, resident"] = arenas
    figures["  of which not in NMT's malloc"] = arenas - malloc
    return figures


for base in sys.argv[1:]:
    idle, load = snapshot(base + ".idle"), snapshot(base + ".load")
    print(f"\n{base.rsplit('/', 1)[-1]}: MiB (NMT: committed)")
    print(f"| {'':32s} | {'idle':>7s} | {'load':>7s} | {'grew':>7s} |")
    print(f"|{'-' * 34}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for key in idle:
        if key == "threads":
            print(f"| {key:32s} | {idle[key] // 1024:7d} | {load[key] // 1024:7d} | {(load[key] - idle[key]) // 1024:+7d} |")
        else:
            print(f"| {key:32s} | {idle[key] / 1024:7.1f} | {load[key] / 1024:7.1f} | {(load[key] - idle[key]) / 1024:+7.1f} |")
