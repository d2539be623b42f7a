"""Lector's benchmark (bench/run.py): servers under test, clients, measurements, the report.

Standard library only, plus gnuplot, wrk and perf when they are installed. See bench/README.md.
"""
