#!/bin/bash
# Prepare (or find cached) the guest kernel and initramfs under build/vm/<ABI>/.
#
#   scripts/vm/prepare.sh         prints the kernel release it prepared
#
# First run: apt-get download of Debian's signed generic linux-image package
# (never installed), dpkg-deb -x, depmod -b, vmlinux extracted from vmlinuz,
# initramfs built.  Later runs find build/vm/<ABI>/.ok and do no download; the
# initramfs is rebuilt only when scripts/vm/init, this script or busybox change.

# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$0")/lib.sh"
set -u

# Modules loaded by /init, in the order `modprobe --show-depends` gives.  Names
# that are built in, or absent from this kernel (fscache is part of netfs since
# 6.8), are skipped.  Everything else (chacha20, poly1305, ...) autoloads from
# the full module tree through the /sbin/modprobe wrapper in the initramfs.
BOOT_MODULES="virtio_ring virtio virtio_mmio virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
KTLS_MODULES="cryptd crypto_simd gf128mul aesni_intel ghash_generic ghash_clmulni_intel ctr gcm tls"
EXTRA_MODULES=${VM_EXTRA_MODULES:-}

tmp=
cleanup() { [ -n "$tmp" ] && rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# vmlinuz is a bzImage whose payload is XZ (Debian 6.1) or ZSTD (Debian 6.12)
# compressed; decompress from each magic's offset until an ELF comes out (the
# same idea as the kernel's scripts/extract-vmlinux).
extract_vmlinux() {
    local in=$1 out=$2 magic tool off
    for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
        tool=${magic%%:*}
        for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$in" | cut -d: -f1); do
            # Trailing data after the stream makes the tool complain; the ELF
            # check below decides.
            tail -c +$((off + 1)) "$in" | vm_timeout 120 "$tool" -dc >"$out" 2>/dev/null
            if is_elf "$out"; then
                vm_log "vmlinux: $tool payload at byte $off"
                return 0
            fi
        done
    done
    return 1
}

prepare_kernel() {
    [ -f "$VM_KDIR/.ok" ] && return 0
    local pkg=linux-image-$VM_KREL deb t0=$SECONDS
    mkdir -p "$VM_DIR"
    tmp=$(mktemp -d "$VM_DIR/.prep.XXXXXX")
    vm_log "kernel: apt-get download $pkg"
    local aptopt=()
    [ "$(id -u)" = 0 ] && aptopt=(-o APT::Sandbox::User=root)
    (cd "$tmp" && vm_timeout 600 apt-get download -q "${aptopt[@]}" "$pkg") >&2 ||
        vm_die "apt-get download $pkg failed"
    for deb in "$tmp"/*.deb; do break; done
    [ -f "$deb" ] || vm_die "apt-get download $pkg produced no .deb"
    vm_timeout 300 dpkg-deb -x "$deb" "$tmp/root" || vm_die "dpkg-deb -x $deb failed"
    rm -f "$deb"
    [ -d "$tmp/root/lib/modules/$VM_KREL" ] || vm_die "$pkg has no lib/modules/$VM_KREL"
    vm_log "kernel: depmod -b $tmp/root $VM_KREL"
    vm_timeout 300 depmod -b "$tmp/root" "$VM_KREL" || vm_die "depmod failed"
    extract_vmlinux "$tmp/root/boot/vmlinuz-$VM_KREL" "$tmp/vmlinux" ||
        vm_die "no XZ/ZSTD/gzip ELF payload found in vmlinuz-$VM_KREL"
    # qemu boots an ELF kernel only through the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).
    readelf -n "$tmp/vmlinux" 2>/dev/null | grep -w Xen >/dev/null ||
        vm_die "vmlinux-$VM_KREL has no PVH (Xen) ELF note; cannot boot it with -kernel"
    rm -rf "$VM_KDIR"
    mkdir -p "$VM_KDIR"
    mv "$tmp/root" "$VM_KDIR/root"
    mv "$tmp/vmlinux" "$VM_KDIR/vmlinux"
    touch "$VM_KDIR/.ok"
    rm -rf "$tmp"
    tmp=
    vm_log "kernel: $VM_KREL ready in build/vm/$VM_KREL ($((SECONDS - t0)) s)"
}

# Module files for NAMES in dependency order, one path per line, deduplicated.
module_paths() {
    local m out verb path _
    for m in "$@"; do
        if ! out=$(modprobe -C /dev/null -d "$VM_KDIR/root" -S "$VM_KREL" \
                --show-depends "$m" 2>/dev/null); then
            vm_log "initramfs: module $m not in $VM_KREL, skipped"
            continue
        fi
        while read -r verb path _; do
            [ "$verb" = insmod ] && printf '%s\n' "$path"
        done <<<"$out"
    done | awk '!seen[$0]++'
}

prepare_initramfs() {
    local out=$VM_KDIR/initramfs.cpio bb f p name
    bb=$(command -v busybox)
    if [ -f "$out" ] && [ "$out" -nt "$VM_SCRIPTS/init" ] &&
            [ "$out" -nt "$VM_SCRIPTS/prepare.sh" ] && [ "$out" -nt "$bb" ] &&
            [ "$(cat "$out.modules" 2>/dev/null)" = "$EXTRA_MODULES" ]; then
        return 0
    fi
    tmp=$(mktemp -d "$VM_DIR/.prep.XXXXXX")
    local r=$tmp/initramfs
    mkdir -p "$r"/{bin,sbin,dev,proc,sys,mnt/root,lib/modules,tmp}
    cp "$bb" "$r/bin/busybox"
    for f in $("$bb" --list); do
        [ "$f" = modprobe ] || [ -e "$r/bin/$f" ] || ln -s busybox "$r/bin/$f"
    done
    cp "$VM_SCRIPTS/init" "$r/init"
    chmod 755 "$r/init"
    # The kernel runs /sbin/modprobe (kernel.modprobe) from the initramfs root;
    # forward it to the host's kmod, inside the shared root, on the full module
    # tree.  /init fills in the tree's path.
    cat >"$r/sbin/modprobe" <<'EOF'
#!/bin/sh
read -r tree </etc/moddir 2>/dev/null || exit 1
exec /bin/busybox chroot /mnt/root /sbin/modprobe -d "$tree" "$@"
EOF
    chmod 755 "$r/sbin/modprobe"
    mkdir -p "$r/etc"
    : >"$r/modules.list"
    # shellcheck disable=SC2086
    module_paths $BOOT_MODULES $KTLS_MODULES $EXTRA_MODULES >"$tmp/mods" ||
        vm_die "modprobe --show-depends failed"
    while read -r p; do
        name=$(basename "$p")
        name=${name%.xz}
        name=${name%.zst}
        name=${name%.gz}
        case $p in
            *.xz) xz -dc "$p" >"$r/lib/modules/$name" ;;
            *.zst) zstd -qdc "$p" >"$r/lib/modules/$name" ;;
            *.gz) gzip -dc "$p" >"$r/lib/modules/$name" ;;
            *) cp "$p" "$r/lib/modules/$name" ;;
        esac || vm_die "cannot unpack module $p"
        printf '%s\n' "$name" >>"$r/modules.list"
    done <"$tmp/mods"
    (cd "$r" && find . -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc -R 0:0 --quiet) >"$tmp/initramfs.cpio" ||
        vm_die "cpio failed"
    mv "$tmp/initramfs.cpio" "$out"
    printf '%s' "$EXTRA_MODULES" >"$out.modules"
    vm_log "initramfs: $(wc -l <"$r/modules.list") modules: $(tr '\n' ' ' <"$r/modules.list")"
    rm -rf "$tmp"
    tmp=
}

"$VM_SCRIPTS/deps.sh" || exit $?
mkdir -p "$VM_DIR"
exec 9>"$VM_DIR/.lock"
flock -w 900 9 || vm_die "build/vm/.lock still busy after 900 s"
vm_resolve_abi
prepare_kernel
prepare_initramfs
printf '%s\n' "$VM_KREL"
