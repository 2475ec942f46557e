#!/bin/bash
# Check the host tools the qemu harness needs; install the missing ones from
# Debian when running as root with apt-get (VM_NO_INSTALL=1 forbids that).
#
# Exit 0 when everything is there, 77 (after a "SKIP: ..." line) when something
# is missing and cannot be installed: callers such as `make check-vm` treat that
# as a skip, never as a pass of the tests themselves.

# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"

# command -> Debian package
declare -A need=(
    [${VM_QEMU:-qemu-system-x86_64}]=qemu-system-x86
    [busybox]=busybox-static
    [cpio]=cpio
    [xz]=xz-utils
    [zstd]=zstd
    [depmod]=kmod
    [modprobe]=kmod
    [dpkg-deb]=dpkg
    [readelf]=binutils
    [flock]=util-linux
    [apt-get]=apt
)

# A dynamically linked busybox (package busybox) cannot run in the initramfs.
busybox_static() {
    local bb
    bb=$(command -v busybox) || return 1
    ! readelf -l "$bb" 2>/dev/null | grep 'program interpreter' >/dev/null
}

missing() {
    local cmd
    for cmd in "${!need[@]}"; do
        command -v "$cmd" >/dev/null || printf '%s\n' "${need[$cmd]}"
    done
    command -v busybox >/dev/null && ! busybox_static && echo busybox-static
}

pkgs=$(missing | sort -u | tr '\n' ' ')
pkgs=${pkgs% }
[ -z "$pkgs" ] && exit 0

if [ "$(id -u)" = 0 ] && [ -z "${VM_NO_INSTALL:-}" ] && command -v apt-get >/dev/null; then
    vm_log "installing $pkgs"
    mkdir -p "$VM_DIR"
    # shellcheck disable=SC2086 # $pkgs is a list
    if ! DEBIAN_FRONTEND=noninteractive vm_timeout 900 \
            apt-get install -y -q --no-install-recommends $pkgs >"$VM_DIR/apt.log" 2>&1; then
        reason=$(grep -E '^(E|W):' "$VM_DIR/apt.log" | head -n 3 | tr '\n' ' ')
        rm -f "$VM_DIR/apt.log"
        echo "SKIP: qemu harness needs $pkgs; apt-get install failed: ${reason:-see apt output}"
        exit "$VM_RC_SKIP"
    fi
    rm -f "$VM_DIR/apt.log"
    pkgs=$(missing | sort -u | tr '\n' ' ')
    pkgs=${pkgs% }
    [ -z "$pkgs" ] && exit 0
fi
echo "SKIP: qemu harness needs the Debian packages: $pkgs (not installed, and not installable here)"
exit "$VM_RC_SKIP"
