# shellcheck shell=bash disable=SC2034 # variables used by the scripts sourcing this
# Shared helpers for the qemu test harness (sourced by scripts/vm/*.sh; bash).
#
# Layout (all under the repository's build/vm/, which git ignores):
#   build/vm/abi                  the pinned kernel release (e.g. 6.12.117+deb12-amd64)
#   build/vm/<ABI>/root/          the unpacked linux-image package (never installed),
#                                 depmod'ed, so root/lib/modules/<ABI>/ is a module tree
#   build/vm/<ABI>/vmlinux        uncompressed ELF kernel (boots through PVH)
#   build/vm/<ABI>/initramfs.cpio busybox + boot/kTLS modules + scripts/vm/init
#   build/vm/<ABI>/.ok            written last: the kernel part is complete
#   build/vm/work/                shared read-write with the guest; one run.XXXXXX per run
#   build/vm/.lock                serialises preparation (flock)
#
# Environment knobs:
#   VM_ABI=<release>   use this kernel release (e.g. 6.1.0-56-amd64);
#   VM_ABI=newest      re-resolve the newest one in apt and pin it.
#   VM_TIMEOUT=<s>     wall-clock limit of one guest run (default 300).
#   VM_VERBOSE=1       show the full kernel log on the console.
#   VM_QEMU=<path>     another qemu-system-x86_64 binary.
#   VM_TCG_OPTS=<opts> extra -accel tcg options, e.g. thread=single.
#   VM_EXTRA_MODULES="a b"  more modules to load from the initramfs at boot.
#   VM_NO_INSTALL=1    never apt-get install missing host tools (skip instead).

set -o pipefail

VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
VM_DIR=$VM_TOP/build/vm
VM_WORK=$VM_DIR/work
VM_SCRIPTS=$VM_TOP/scripts/vm
# depmod/modprobe live in /sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

# Exit codes of run.sh other than the command's own.
VM_RC_SKIP=77      # qemu or another host tool is missing and cannot be installed
VM_RC_TIMEOUT=124  # the guest ran past VM_TIMEOUT
VM_RC_HARNESS=125  # preparing or booting failed, or the guest never reported

vm_log() { printf 'sluice-vm: %s\n' "$*" >&2; }
vm_die() { vm_log "error: $*"; exit "$VM_RC_HARNESS"; }

# A bound on every step that could hang (network, decompression, depmod).
vm_timeout() { local s=$1; shift; timeout -k 10 "$s" "$@"; }

# Newest signed generic amd64 image in the apt cache: linux-image-<release>
# where <release> ends in -amd64 but not -cloud-amd64 / -rt-amd64, and the
# package is not -unsigned / -dbg (those do not end in -amd64).  Meta packages
# (linux-image-amd64, linux-image-6.12-amd64) are skipped: the directory and
# depmod need the real release.  Only packages with an installable candidate count.
vm_newest_abi() {
    local rel
    for rel in $(apt-cache pkgnames linux-image- 2>/dev/null |
            sed -n 's/^linux-image-\([0-9].*-amd64\)$/\1/p' |
            grep -Ev -- '-(cloud|rt)-amd64$|^[0-9]+\.[0-9]+-amd64$' | sort -rV); do
        if apt-cache policy "linux-image-$rel" 2>/dev/null |
                grep '^ *Candidate: [^(]' >/dev/null; then
            printf '%s\n' "$rel"
            return 0
        fi
    done
    return 1
}

# Sets VM_KREL: VM_ABI if given, else the pinned build/vm/abi, else the newest.
vm_resolve_abi() {
    if [ -n "${VM_ABI:-}" ] && [ "$VM_ABI" != newest ]; then
        VM_KREL=$VM_ABI
    elif [ -z "${VM_ABI:-}" ] && [ -s "$VM_DIR/abi" ]; then
        VM_KREL=$(cat "$VM_DIR/abi")
    else
        VM_KREL=$(vm_newest_abi) ||
            vm_die "no linux-image-<release>-amd64 package in apt (run apt-get update?)"
        mkdir -p "$VM_DIR"
        printf '%s\n' "$VM_KREL" >"$VM_DIR/abi"
        vm_log "kernel: newest in apt is $VM_KREL (pinned in build/vm/abi)"
    fi
    case $VM_KREL in
        *[!0-9A-Za-z.+~_-]*|'') vm_die "odd kernel release '$VM_KREL'" ;;
    esac
    VM_KDIR=$VM_DIR/$VM_KREL
}
