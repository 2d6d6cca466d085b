"""Where a request's CPU goes, by program: the deployment's processes sampled from /proc around one wrk run.

A request's cost is spread over nginx (TLS, proxying), gunicorn (WSGI and the application), PostgreSQL's backends,
Redis and wrk itself; the in-process table sees only the application's share. Throughput on a machine whose cores
they share follows the sum, so comparing create or close with the framework+db ceiling program by program says which
part of the gap is Python and which is the database.
"""

import os
import resource
from collections import defaultdict
from pathlib import Path

# /proc/<pid>/comm of each program (a script started through its shebang keeps the script's name: gunicorn).
PROGRAMS = {"nginx": "nginx", "gunicorn": "gunicorn (app)", "postgres": "PostgreSQL", "redis-server": "Redis"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_process() -> dict[int, tuple[str, float]]:
    """pid -> (program, user + system CPU seconds) of every live process of PROGRAMS (all its threads included)."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        program = PROGRAMS.get(text[text.index("(") + 1 : text.rindex(")")])
        if program is None:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        processes[int(stat.parent.name)] = (program, (int(fields[11]) + int(fields[12])) / TICKS)  # utime, stime
    return processes


def children_cpu_seconds() -> float:
    """CPU of this process's finished children: wrk's, once its run has been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(run) -> tuple[object, dict[str, float]]:
    """Call `run()` (one wrk run, returning a loadgen.Result) and return it with CPU ms per request by program."""
    before, children_before = cpu_seconds_by_process(), children_cpu_seconds()
    result = run()
    after, children_after = cpu_seconds_by_process(), children_cpu_seconds()
    requests = max(result.requests, 1)
    # Per process: one that started during the run counts whole; one that exited during it (a PostgreSQL backend
    # closed by CONN_MAX_AGE) is lost, so a program's figure can only be an underestimate, never negative.
    split: dict[str, float] = defaultdict(float)
    for pid, (program, seconds) in after.items():
        _, earlier = before.get(pid, (program, 0.0))
        split[program] += (seconds - earlier) * 1000 / requests
    split = dict(split)
    split["wrk"] = (children_after - children_before) * 1000 / requests
    split["total"] = sum(split.values())
    return result, split
