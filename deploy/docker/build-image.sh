#!/usr/bin/env bash
# Builds the runtime image `flotilla:local` with no registry: the engine here starts with no images and
# can pull none, so the image is a root filesystem assembled from this machine and loaded with
# `docker import`. It holds the flotilla binary, the shared libraries it links (found with ldd), a POSIX
# shell (the host's dash, for compose files whose `command:` is `sh -c "..."`), Confluent's start script
# path `/etc/confluent/docker/run`, an empty `/etc/kafka/kafka.properties` and `/var/lib/kafka/data`.
#
# Usage: deploy/docker/build-image.sh
#   FLOTILLA_BIN=path   use this binary instead of building one (`cargo build --release` otherwise)
#   FLOTILLA_IMAGE=tag  the image tag (default flotilla:local)
# Prints the image's size. Users with a registry can build deploy/docker/Dockerfile instead.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tag="${FLOTILLA_IMAGE:-flotilla:local}"
bin="${FLOTILLA_BIN:-}"
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --release --locked)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/flotilla"
fi
[ -x "$bin" ] || { echo "build-image: no flotilla binary at $bin" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# A program and every shared library ldd resolves for it, each at the path the loader looks for.
install_with_libraries() {
    local program="$1" dest="$2"
    install -D -m 0755 "$program" "$stage$dest"
    ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
        [ -e "$stage$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
    done
}

install_with_libraries "$bin" /usr/bin/flotilla
# Debug information is most of a debug build's size and none of its behaviour.
if command -v strip >/dev/null 2>&1; then strip --strip-debug "$stage/usr/bin/flotilla"; fi
install_with_libraries "$(readlink -f /bin/sh)" /bin/sh
cp -a "$here/rootfs/." "$stage/"
mkdir -p "$stage/var/lib/kafka/data" "$stage/tmp"
chmod 1777 "$stage/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"

# Runs as root: compose files (the documents' among them) bind-mount host directories that Docker creates
# owned by root, and a broker that cannot write its log dir is worse than one that runs as root.
tar -C "$stage" --numeric-owner --owner=0 --group=0 -c . | docker import \
    --change 'ENV PATH=/usr/bin:/bin' \
    --change 'WORKDIR /' \
    --change 'EXPOSE 9092 9093' \
    --change 'VOLUME /var/lib/kafka/data' \
    --change 'CMD ["/etc/confluent/docker/run"]' \
    - "$tag" >/dev/null
size_bytes="$(docker image inspect -f '{{.Size}}' "$tag")"
echo "built $tag from $bin: $((size_bytes / 1024 / 1024)) MiB"
