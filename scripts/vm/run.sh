#!/bin/bash
# Run a command inside a qemu guest booted from Debian's stock kernel.
#
#   scripts/vm/run.sh CMD [ARG...]
#
# The guest sees the host's root file system read-only (so CMD may be any
# host-built program), the repository's build/vm/work read-write, and /tmp as
# a tmpfs; CMD starts in the repository root with SLUICE_VM=1 and
# SLUICE_VM_RUN=<a private, writable directory under build/vm/work>.  The guest
# console (SeaBIOS's two lines, kernel errors and CMD's output; the whole kernel
# log with VM_VERBOSE=1) is copied to stdout.
#
# Exit status: CMD's own, or
#    77  qemu (or another host tool) is missing and cannot be installed
#   124  the guest ran past VM_TIMEOUT seconds (default 300)
#   125  preparing or booting failed, or the guest never reported a status
#
# Functional tests only: the guest is emulated (TCG) when /dev/kvm is absent
# and runs 20-50x slower than the host.  Never take timings from it.

# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"
set -u

if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi

t0=$EPOCHREALTIME
VM_TIMEOUT=${VM_TIMEOUT:-300}

krel=$("$VM_SCRIPTS/prepare.sh")
st=$?
if [ $st -ne 0 ]; then
    [ -n "$krel" ] && printf '%s\n' "$krel"
    exit $st
fi
krel=$(printf '%s\n' "$krel" | tail -n 1)
kdir=$VM_DIR/$krel

# These paths go on the kernel command line and into -virtfs options.
for p in "$VM_WORK" "$kdir"; do
    case $p in
        *[!A-Za-z0-9/._+~-]*) vm_die "path '$p' has characters the kernel command line or -virtfs cannot carry" ;;
    esac
done

mkdir -p "$VM_WORK"
# Run directories of runs that were killed outright (SIGKILL) are left behind.
find "$VM_WORK" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null
run=$(mktemp -d "$VM_WORK/run.XXXXXX") || vm_die "cannot create a run directory in $VM_WORK"
trap 'rm -rf "$run"' EXIT
trap 'exit 130' INT TERM  # until qemu runs

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    printf 'cd %s || exit 125\nexec' "$(quote "$VM_TOP")"
    for a in "$@"; do printf ' %s' "$(quote "$a")"; done
    printf '\n'
} >"$run/cmd"

accel=()
[ -r /dev/kvm ] && [ -w /dev/kvm ] && accel=(-accel kvm)
quiet=quiet
[ -n "${VM_VERBOSE:-}" ] && quiet=
append="console=ttyS0 panic=-1 $quiet rdinit=/init"
append+=" sluice.work=$VM_WORK sluice.run=${run##*/} sluice.tree=$kdir/root sluice.top=$VM_TOP"

vm_log "booting $krel ($( ((${#accel[@]})) && echo kvm || echo tcg)): $*"
# Console filter: CRLF -> LF, drop SeaBIOS's terminal escapes.  It ignores
# INT/TERM so that it drains whatever qemu prints while being stopped.
exec {console}> >(trap '' INT TERM
    exec sed -u -e 's/\r$//' -e 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g' \
        -e 's/^Booting from ROM\.\./&\n/')
filter=$!
# timeout puts qemu in its own process group, out of reach of a terminal's ^C:
# stop it from here (timeout passes the signal on to qemu).
timeout -k 10 "$VM_TIMEOUT" "${VM_QEMU:-qemu-system-x86_64}" \
    "${accel[@]}" -accel "tcg${VM_TCG_OPTS:+,$VM_TCG_OPTS}" -cpu max -m 1G -smp 2 \
    -nographic -no-reboot -nic none \
    -kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" -append "$append" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$VM_WORK,mount_tag=vmwork,security_model=none,multidevs=remap" \
    </dev/null >&$console 2>&1 &
qemu=$!
exec {console}>&-
stopped=
trap 'stopped=1; kill -TERM $qemu 2>/dev/null' INT TERM
while :; do
    wait $qemu
    st=$?
    kill -0 $qemu 2>/dev/null || break
done
wait $filter 2>/dev/null
if [ -n "$stopped" ]; then
    vm_log "interrupted"
    exit 130
fi
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# The guest writes rc before it pokes isa-debug-exit, and only then is qemu's
# status (rc << 1) | 1 meaningful: qemu's own errors exit 1 too.
if [ -s "$run/rc" ]; then
    rc=$(cat "$run/rc")
    vm_log "guest command exited $rc ($secs s in all)"
    exit "$rc"
fi
if [ $st -eq 124 ] || { [ $st -eq 137 ] && [ "${secs%.*}" -ge "$VM_TIMEOUT" ]; }; then
    vm_log "error: guest timed out after $VM_TIMEOUT s"
    exit "$VM_RC_TIMEOUT"
fi
case $st in
    0) vm_log "error: guest never reported (kernel panic or poweroff; qemu exited 0)" ;;
    251) vm_log "error: guest setup failed (see the console above)" ;;
    *) vm_log "error: qemu exited $st before the guest reported" ;;
esac
exit "$VM_RC_HARNESS"
