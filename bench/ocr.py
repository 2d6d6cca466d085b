"""MRZ reader benchmark: time per image in one worker process, recall, false accepts, resident memory.

    python -m bench.ocr                  # renders the seeded corpus (tests/ocr/corpus.py) and reads every image
    python -m bench.ocr --verbose        # one line per image

Run it in the background of nothing else if the times matter: one process, one OCR thread (as a worker runs).
"""

import argparse
import resource
import statistics
import time

from tests.ocr.corpus import SEED, SEVERE, build_corpus


def _rss_mb() -> float:
    # Current resident set size from /proc (Linux); ru_maxrss would report the peak instead.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--severe", action="store_true", help="60 severely damaged documents instead of the corpus")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    from scoring.mrz_reader import read_mrz, warm_up

    entries = build_corpus(args.seed, damage_levels=(SEVERE,)) if args.severe else build_corpus(args.seed)
    rss_before = _rss_mb()
    started = time.perf_counter()
    warm_up()
    warm_up_s = time.perf_counter() - started
    rss_warm = _rss_mb()

    times: list[float] = []
    cpu_times: list[float] = []
    right, wrong, missed, negatives_accepted = 0, 0, 0, 0
    genuine = [entry for entry in entries if entry.kind in ("genuine", "swapped")]
    for entry in entries:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        reading = read_mrz(entry.image)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        cpu_times.append(_cpu_seconds() - cpu_started)
        if entry.mrz is None:
            negatives_accepted += reading.lines is not None
            outcome = "ACCEPTED (false)" if reading.lines else "refused"
        elif reading.lines == entry.mrz:
            right += 1
            outcome = "read"
        elif reading.lines is None:
            missed += 1
            outcome = f"missed: {reading.problem}"
        else:
            wrong += 1
            outcome = "WRONG (false accept)"
        if args.verbose:
            print(f"{entry.name:32} {elapsed:5.2f}s  {outcome}")

    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"images: {len(entries)} ({len(genuine)} documents, {len(entries) - len(genuine)} blank/non-document)")
    print(f"recall: {right}/{len(genuine)} = {right / len(genuine):.1%}; missed {missed}")
    print(f"false accepts: {wrong} wrong reads, {negatives_accepted} on blank/non-document images")
    print(f"seconds per image (one process, one OCR thread): median {statistics.median(times):.2f}, p95 {p95:.2f}")
    cpu_times.sort()
    cpu_p95 = cpu_times[min(len(cpu_times) - 1, round(0.95 * (len(cpu_times) - 1)))]
    print(
        f"CPU seconds per image (this process + Tesseract's): median {statistics.median(cpu_times):.2f}, "
        f"p95 {cpu_p95:.2f} (what the wall time would be on an idle core)"
    )
    print(
        f"warm_up: {warm_up_s:.1f} s; RSS {rss_before:.0f} MB before, {rss_warm:.0f} MB after warm_up, "
        f"{_rss_mb():.0f} MB after reading the corpus"
    )


if __name__ == "__main__":
    main()
