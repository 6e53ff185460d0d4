"""The rows a benchmark script measures: each printed to stderr as it is measured, then all of them as the
Markdown table docs/BENCHMARKS.md takes."""

import sys


class Report:
    def __init__(self):
        self.rows = []

    def row(self, what, value, unit, runs):
        """One measurement: its median `value` and the value of each run."""
        self.rows.append((what, value, unit, runs))
        print(f"{what}: {value} {unit} (runs: {runs})", file=sys.stderr, flush=True)

    def print_markdown(self):
        print("| measurement | median | unit | runs |")
        print("|---|---:|---|---|")
        for what, value, unit, runs in self.rows:
            print(f"| {what} | {value:,} | {unit} | {', '.join(f'{v:,}' for v in runs)} |")
