#!/usr/bin/env python3
"""CPU that processes' threads used between two snapshots, grouped by thread kind.
  thread-cpu.py snap NAME=PID...          prints a snapshot (JSON) of every thread's user+system ticks
  thread-cpu.py diff BEFORE AFTER GIB     prints seconds of CPU per GiB: per process, per thread kind, and total
  thread-cpu.py total BEFORE AFTER GIB    prints only the total, seconds per GiB over all processes
A thread's kind is its name without numbers (Linux keeps 15 characters of it: "C2 CompilerThre",
"grpc-nio-worker", "tandem-apply"); virtual threads run on "ForkJoinPool-1-" carriers."""
import json
import os
import re
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def ticks(stat):
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    return int(fields[11]) + int(fields[12])  # utime, stime


def snap(named_pids):
    threads = {}
    for arg in named_pids:
        name, pid = arg.split("=", 1)
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
                threads[f"{name}/{tid}"] = [comm, ticks(open(f"/proc/{pid}/task/{tid}/stat").read())]
            except FileNotFoundError:  # the thread ended between listdir and open
                pass
    return threads


def kind(comm):
    return re.sub(r"[-#]\d+", "", comm).strip("-# ") or comm


def used(before, after):
    """(process, kind) -> ticks; a thread that ended between the snapshots is lost, one that began counts whole"""
    per = {}
    for key, (comm, t) in after.items():
        process = key.split("/")[0]
        per[(process, kind(comm))] = per.get((process, kind(comm)), 0) + t - before.get(key, [comm, 0])[1]
    return per


def main():
    if sys.argv[1] == "snap":
        print(json.dumps(snap(sys.argv[2:])))
        return
    before, after = (json.load(open(f)) for f in sys.argv[2:4])
    gib = float(sys.argv[4])
    if gib <= 0:
        sys.exit(f"thread-cpu.py: {sys.argv[4]} GiB moved: CPU per GiB needs a positive amount")
    per = used(before, after)
    total = sum(per.values()) / TICKS / gib
    if sys.argv[1] == "total":
        print(f"{total:.2f}")
        return
    for (process, k), t in sorted(per.items(), key=lambda item: -item[1]):
        if t / TICKS / gib >= 0.01:
            print(f"| {process:10} | {k:24} | {t / TICKS / gib:6.2f} |")
    print(f"| {'all':10} | {'total':24} | {total:6.2f} |")


main()
