#!/usr/bin/env python3
"""bench/timeloop.py ROUNDS NAME=ARGV_JSON...: runs the commands in turn (A B A B
...) ROUNDS times, each without a shell (posix_spawn), and prints
{"NAME": [seconds, ...]} as JSON. Run as the benchmark user, so no wrapper's
start-up is timed. A command that fails stops the loop with its output."""
import json
import os
import subprocess
import sys
import time


def main():
    rounds = int(sys.argv[1])
    commands = []
    for arg in sys.argv[2:]:
        name, argv = arg.split("=", 1)
        commands.append((name, json.loads(argv)))
    times = {name: [] for name, _ in commands}
    devnull = os.open(os.devnull, os.O_RDWR)
    actions = os.posix_spawn_file_actions_t if hasattr(os, "posix_spawn_file_actions_t") else None
    for r in range(rounds + 1):
        for name, argv in commands:
            t = time.perf_counter()
            pid = os.posix_spawnp(argv[0], argv, os.environ,
                                  file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                                (os.POSIX_SPAWN_DUP2, devnull, 1)])
            _, status = os.waitpid(pid, 0)
            elapsed = time.perf_counter() - t
            if os.waitstatus_to_exitcode(status) != 0:
                out = subprocess.run(argv, capture_output=True, text=True)
                sys.exit(f"timeloop: {name}: {argv} failed: {out.stdout}{out.stderr}")
            if r > 0:  # round 0 warms caches (and makes skiff's seccomp cache)
                times[name].append(elapsed)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
