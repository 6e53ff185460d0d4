#!/usr/bin/env bash
# Runs every test of the project: the gate (format, lints, tests) and the bounded fuzz runs.
# Installs what it needs and skips what is already there, so it works on a fresh machine and is cheap
# on a warm one. Usage: tests/run-all.sh
#   FUZZ_SECONDS=60    time cap per fuzz target (0 skips fuzzing)
#   FUZZ_RUNS=1000000  inputs per fuzz target; with a fixed FUZZ_SEED the run is reproducible
#   FUZZ_SEED=1        libFuzzer's seed; another value (0 = random) explores further
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# A target directory outside the clone lets CI reuse the build of the session before it.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
    if [ -w /work ]; then export CARGO_TARGET_DIR=/work/target; else export CARGO_TARGET_DIR="$root/target"; fi
fi
fuzz_seconds="${FUZZ_SECONDS:-60}"
fuzz_runs="${FUZZ_RUNS:-1000000}"
fuzz_seed="${FUZZ_SEED:-1}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
# rocksdb's bindings are generated with bindgen, which needs libclang.
if ! ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1; then
    step "installing libclang-dev from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    step "installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

# The client compatibility suite drives the binary with independent Kafka clients: kcat from Debian,
# the Python clients from PyPI into a virtualenv beside the target directory (reused when present).
if ! command -v kcat >/dev/null 2>&1; then
    step "installing kcat from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat
fi
venv="${FLOTILLA_VENV:-$(dirname "$CARGO_TARGET_DIR")/.venv-clients}"
if [ ! -x "$venv/bin/python" ]; then
    step "creating the client virtualenv $venv"
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/clients/requirements.txt

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "client compatibility suite: confluent-kafka, kafka-python, aiokafka, kcat against the real binary"
# `cargo test` built the binary for the flotilla crate's own tests; the suite drives that same build.
flotilla_bin="$CARGO_TARGET_DIR/debug/flotilla"
[ -x "$flotilla_bin" ] || { echo "missing $flotilla_bin (cargo test should have built it)" >&2; exit 1; }
FLOTILLA_BIN="$flotilla_bin" "$venv/bin/python" -m pytest tests/clients -q \
    -p no:cacheprovider --timeout=300

# The container path: the image built with no registry, the documents' KRaft compose file on it, and
# docker-compose.yml with every failover drill. FLOTILLA_SKIP_DOCKER=1 skips it on a machine with no engine.
if [ "${FLOTILLA_SKIP_DOCKER:-0}" = "1" ]; then
    step "SKIPPED: compose cluster and failover drills (FLOTILLA_SKIP_DOCKER=1)"
else
    step "compose cluster and failover drills against the real image and docker-compose.yml"
    FLOTILLA_BIN="$flotilla_bin" "$venv/bin/python" -m pytest tests/compose -q -s \
        -p no:cacheprovider --timeout=2400
fi

if [ "$fuzz_seconds" != "0" ]; then
    # cargo-fuzz needs nightly flags (sanitizers); RUSTC_BOOTSTRAP lets the one stable toolchain accept them.
    fuzz_dir="$root/crates/protocol"
    for target in request record_batch; do
        step "fuzz $target for ${fuzz_seconds}s"
        work="$(mktemp -d)"
        cp -r "$fuzz_dir/fuzz/corpus/$target/." "$work/"
        (cd "$fuzz_dir" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR-fuzz" \
            cargo fuzz run -O "$target" "$work" -- -seed="$fuzz_seed" -runs="$fuzz_runs" \
                -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -max_len=65536)
        rm -rf "$work"
    done
fi

step "all tests passed"
