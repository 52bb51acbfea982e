#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries BINARY links, one per line,
# sorted. The Dockerfile's runtime stage installs exactly these.
#   deploy/runtime-packages.sh build/emosweep
set -euo pipefail
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi

# dpkg records a file under the path its package shipped it at; with merged /usr, ldd may
# report /lib/... for a file dpkg knows as /usr/lib/... (or the reverse), and a symlink name
# rather than the real file. Try each spelling.
package_of() {
  local lib=$1 real candidate
  real=$(readlink -f "$lib")
  for candidate in "$lib" "$real" "/usr$lib" "${lib#/usr}" "/usr$real" "${real#/usr}"; do
    if out=$(dpkg-query -S "$candidate" 2>/dev/null); then
      echo "${out%%:*}"
      return 0
    fi
  done
  echo "runtime-packages: no Debian package provides $lib" >&2
  return 1
}

libs=$(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
packages=()
status=0
for lib in $libs; do
  if pkg=$(package_of "$lib"); then packages+=("$pkg"); else status=1; fi
done
[ "$status" -eq 0 ] || exit 1
printf '%s\n' "${packages[@]}" | sort -u
