#!/usr/bin/python3
"""Lector benchmark: Lector versus the seed design and the raw libespeak-ng library.

One run measures, one after the other (so they never compete for the CPU):

  * the raw library: bench/raw_espeak (C++, libespeak-ng in one thread) synthesizes the
    paragraph and long texts R times: time to first audio, wall and CPU time, audio seconds;
  * Lector with the cache off (--cache-bytes 0): single requests (short / paragraph / long,
    medians of time to first audio and total time), concurrency (C clients x K paragraph
    requests, C in --clients) with the server's and its workers' CPU (/proc/PID/stat) and RSS
    (/proc/PID/status, sampled every 50 ms), 50 slow readers (RSS before / during / after),
    and `wrk` on /engines;
  * Lector with its default cache: the first request of a text and its immediate repeat
    (cache hit);
  * Lector with one worker (cache off): single requests (the long-text speed-up);
  * the seed replica (shared/baselines/seed_replica): single requests, concurrency, slow
    readers and wrk, as for Lector.

  * Lector with one worker per engine (cache off): per engine, first audio against the engine's
    own library (bench/raw_espeak, raw_flite, raw_festival) on the same first fragment;
  * with --profile: `perf` on the server under the 8-client load.

It then prints a Markdown report whose first table checks each target (as ratios measured in
this run) and writes bench/results/latest.{md,json} and PNG plots (gnuplot). Only the Python 3
standard library is used; the code is in bench/lectorbench/ (one module per concern); see
bench/README.md.
"""

import sys

from lectorbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
