#!/usr/bin/env bash
# The main job: build the provider, install it into a local filesystem
# mirror, and `terraform apply` the examples. Against the bundled Graph
# simulator, unless real credentials are exported (ARM_TENANT_ID,
# ARM_CLIENT_ID, ARM_CLIENT_SECRET and no INTUNE_GRAPH_ENDPOINT), in which
# case it applies to that tenant.
#
#   scripts/demo.sh            apply, show the result, then destroy
#   scripts/demo.sh --keep     leave the profiles in place
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[ "${1:-}" = "--keep" ] && keep=true
terraform_bin=${TERRAFORM:-terraform}
command -v "$terraform_bin" >/dev/null || terraform_bin="$root/.tools/terraform-1.0.3/terraform"
if [ ! -x "$(command -v "$terraform_bin")" ]; then
  "$root/scripts/install-terraform.sh" >/dev/null
  terraform_bin="$root/.tools/terraform-1.0.3/terraform"
fi

echo "==> Building the provider and the Graph simulator (release)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --workspace --bins

work="$root/.work/demo"
rm -rf "$work"
mkdir -p "$work/mirror" "$work/run"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
plugin_dir="$work/mirror/registry.terraform.io/intune-tf/intune/$version/linux_amd64"
mkdir -p "$plugin_dir"
cp "$root/target/release/terraform-provider-intune" "$plugin_dir/terraform-provider-intune_v$version"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/intune-tf/intune"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT
if [ -n "${ARM_TENANT_ID:-}" ] && [ -n "${ARM_CLIENT_ID:-}" ] && [ -n "${ARM_CLIENT_SECRET:-}" ] && [ -z "${INTUNE_GRAPH_ENDPOINT:-}" ]; then
  echo "==> Real credentials found: applying to tenant $ARM_TENANT_ID through Microsoft Graph"
else
  echo "==> Starting the bundled Graph simulator"
  coproc SIM { exec "$root/target/release/intune-graph-sim" --port 0 --exit-on-stdin-eof 2>"$work/simulator.log"; }
  sim_pid=$SIM_PID
  read -r sim_url <&"${SIM[0]}"
  echo "    simulator at $sim_url (log: $work/simulator.log)"
  export ARM_TENANT_ID=00000000-0000-0000-0000-0000000000aa
  export ARM_CLIENT_ID=00000000-0000-0000-0000-0000000000bb
  export ARM_CLIENT_SECRET=simulator-secret
  export INTUNE_GRAPH_ENDPOINT="$sim_url" INTUNE_AUTHORITY_HOST="$sim_url"
fi

# Each example directory is applied as its own root module, next to the
# shared provider configuration and the example certificates.
cp -r "$root/examples/certs" "$work/run/certs"
mkdir -p "$work/run/resources"
for example in "$root"/examples/resources/*/; do
  name=$(basename "$example")
  dir="$work/run/resources/$name"
  cp -r "$example" "$dir"
  rm -f "$dir"/*.sh
  cp "$root/examples/provider/provider.tf" "$dir/provider.tf"
  echo
  echo "==> $name: terraform init + apply"
  "$terraform_bin" -chdir="$dir" init -input=false -no-color >/dev/null
  "$terraform_bin" -chdir="$dir" apply -input=false -auto-approve -no-color
  echo "==> $name: a second plan must show no changes"
  "$terraform_bin" -chdir="$dir" plan -input=false -no-color -detailed-exitcode >/dev/null
  echo "    no changes"
  echo "==> $name: resources in state"
  "$terraform_bin" -chdir="$dir" state list
done

if [ -n "$sim_pid" ]; then
  echo
  echo "==> Profiles now in the simulator"
  python3 - "$INTUNE_GRAPH_ENDPOINT/_simulator/objects" <<'PY'
import json, sys, urllib.request
for o in json.load(urllib.request.urlopen(sys.argv[1])):
    print(f"    {o['@odata.type'].split('.')[-1]:<45} {o['displayName']}")
PY
fi

if [ "$keep" = false ]; then
  for dir in "$work"/run/resources/*/; do
    echo "==> $(basename "$dir"): terraform destroy"
    "$terraform_bin" -chdir="$dir" destroy -input=false -auto-approve -no-color >/dev/null
  done
  echo "==> Done: everything created was destroyed again"
fi
