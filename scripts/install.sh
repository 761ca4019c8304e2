#!/usr/bin/env bash
# Builds the provider (release) and installs it where terraform looks for
# providers without a registry: the implied local mirror
# ~/.terraform.d/plugins (or $TF_PLUGIN_MIRROR_DIR). Afterwards any
# configuration with `source = "intune-tf/intune"` finds it on
# `terraform init`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
case "$(uname -s)_$(uname -m)" in
  Linux_x86_64) target=linux_amd64 ;;
  Linux_aarch64) target=linux_arm64 ;;
  Darwin_x86_64) target=darwin_amd64 ;;
  Darwin_arm64) target=darwin_arm64 ;;
  *) echo "install: unsupported platform $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac
mirror=${TF_PLUGIN_MIRROR_DIR:-$HOME/.terraform.d/plugins}
dest="$mirror/registry.terraform.io/intune-tf/intune/$version/$target"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin terraform-provider-intune
mkdir -p "$dest"
install -m 0755 "$root/target/release/terraform-provider-intune" "$dest/terraform-provider-intune_v$version"
echo "installed terraform-provider-intune $version into $dest"
