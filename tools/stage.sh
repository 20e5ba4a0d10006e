#!/usr/bin/env bash
# Copy the files git knows about (tracked + untracked-but-not-ignored, as
# `git ls-files --cached --others --exclude-standard`) from the repository root
# into DEST, replacing DEST. Files deleted from the work tree are left out;
# symlinks are copied as symlinks.
#
# usage: tools/stage.sh DEST
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$1

case "$dest" in
    /*) ;;
    *) dest="$PWD/$dest" ;;
esac

if [[ "$dest" == "$root" || "$root" == "$dest"/* ]]; then
    echo "stage.sh: refusing to stage into $dest (it contains the repository)" >&2
    exit 2
fi

rm -rf "$dest"
mkdir -p "$dest"

cd "$root"
# NUL-separated list of paths that still exist (or are symlinks), deduplicated.
git ls-files -z --cached --others --exclude-standard \
    | sort -zu \
    | while IFS= read -r -d '' path; do
        if [[ -e "$path" || -L "$path" ]]; then
            printf '%s\0' "$path"
        fi
    done \
    | tar --null --no-recursion -T - -cf - \
    | tar -xf - -C "$dest"
