# shellcheck shell=bash
# Shared functions of the nested boot harness (sourced by run, run-cmd and
# the tests in this directory; not executable on its own).
#
# Why a harness: vmboot needs /dev/kvm with real hardware virtualization, and
# the development machines have none (their /dev/kvm is KVM-PVM, which cannot
# run a stock kernel; see /work/shared/nested-recipe.md). QEMU's software
# emulator (TCG) can emulate an AMD CPU with SVM and nested paging, so the
# Debian kernel booted inside it loads kvm-amd and provides a real /dev/kvm.
#
# Layout of the initramfs handed to the OUTER kernel, concatenated from three
# cpio archives (the kernel unpacks concatenated archives in order, the way
# early microcode is prepended to distribution initrds):
#   guest.cpio      uncompressed: /guest/vmlinuz and /guest/initrd.img are
#                   already compressed, so gzip would only burn time (cached)
#   base.cpio.gz    busybox, kvm modules, /init (cached)
#   run.cpio.gz     per run: /work files, the vmboot binary, the libraries of
#                   dynamically linked programs, the command to run
#
# Large files (a 2 GiB Debian disk image) would not fit well into the
# outer VM's RAM as part of the initramfs: run and run-cmd --disk FILE attach
# them to QEMU as virtio disks instead (/dev/vda, /dev/vdb, ... in the outer
# VM, in the order given; the command finds them in $VB_NESTED_DISKS). QEMU
# opens them with snapshot=on: the guest may write, the writes go to a
# temporary overlay and FILE is never modified.
#
# The inner guest kernel (/guest/vmlinuz) is the outer Debian kernel unless
# VB_NESTED_GUEST_KERNEL (run and run-cmd: --guest-kernel) says otherwise:
#   debian          the default: the Debian kernel, virtio drivers as modules
#                   in the inner initramfs
#   small           the kernel built by kernel/build from Debian's kernel
#                   source and kernel/vmboot.config: drivers built in, and
#                   virtio-mmio devices found from the command line
#   /path/bzImage   any other kernel with its drivers built in

NESTED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Marker lines on the serial console (see outer-init.sh).
NESTED_EXIT_MARKER='VMBOOT-NESTED-EXIT='
NESTED_READY_MARKER='VMBOOT-NESTED-KVM-READY'

NESTED_OUTER_MODULES=(kvm-amd tun)
# The --disk files of this run (nested_add_disk); none unless a caller adds.
NESTED_DISKS=()

# Loaded by outer-init.sh only when a run attaches --disk files.
NESTED_DISK_MODULES=(virtio_pci virtio_blk)
NESTED_GUEST_MODULES=(virtio virtio_ring virtio_pci virtio_pci_modern_dev
	virtio_pci_legacy_dev virtio_mmio virtio_blk virtio_console virtio_rng
	virtio_balloon virtio_net 9p 9pnet 9pnet_virtio netfs ext4
	vmw_vsock_virtio_transport button evdev)

nested_log() {
	printf 'nested: %s\n' "$*" >&2
}

nested_die() {
	printf 'nested: error: %s\n' "$*" >&2
	exit 99
}

# automake treats exit status 77 as "skipped".
nested_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# Seconds since the epoch with microseconds (bash 5).
nested_now() {
	printf '%s\n' "$EPOCHREALTIME"
}

# Prints "PHASE: N.NN s" to stderr for a phase that started at $2.
nested_phase_done() {
	local phase=$1 start=$2 end
	end=$(nested_now)
	awk -v p="$phase" -v s="$start" -v e="$end" \
		'BEGIN { printf "nested: time: %s: %.2f s\n", p, e - s }' >&2
}

# The newest Debian kernel in /boot, as its version string (empty if none).
nested_kernel_version() {
	local k newest=''
	for k in /boot/vmlinuz-*; do
		[ -e "$k" ] || continue
		newest=$(printf '%s\n%s\n' "$newest" "${k#/boot/vmlinuz-}" |
			sed '/^$/d' | sort -V | tail -n 1)
	done
	printf '%s\n' "$newest"
}

nested_find_qemu() {
	command -v qemu-system-x86_64 || true
}

# Exits 77 (skip) unless everything the harness needs is present. Sets
# NESTED_KVER, NESTED_KERNEL, NESTED_QEMU and NESTED_BUSYBOX.
nested_require() {
	[ "${VB_NESTED_TESTS:-yes}" != no ] ||
		nested_skip "nested tests disabled (configure --disable-nested-tests; make distcheck)"
	NESTED_QEMU=$(nested_find_qemu)
	[ -n "$NESTED_QEMU" ] ||
		nested_skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
	NESTED_KVER=$(nested_kernel_version)
	[ -n "$NESTED_KVER" ] ||
		nested_skip "no kernel in /boot/vmlinuz-* (apt-get install linux-image-amd64)"
	NESTED_KERNEL=/boot/vmlinuz-$NESTED_KVER
	[ -r "$NESTED_KERNEL" ] || nested_skip "$NESTED_KERNEL is not readable"
	[ -d "/lib/modules/$NESTED_KVER" ] ||
		nested_skip "no modules for $NESTED_KVER in /lib/modules"
	command -v modprobe >/dev/null || nested_skip "modprobe not found (apt-get install kmod)"
	command -v depmod >/dev/null || nested_skip "depmod not found (apt-get install kmod)"
	modprobe -S "$NESTED_KVER" --show-depends kvm-amd >/dev/null 2>&1 ||
		nested_skip "kernel $NESTED_KVER has no kvm-amd module"
	command -v cpio >/dev/null || nested_skip "cpio not found (apt-get install cpio)"
	NESTED_BUSYBOX=''
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
			NESTED_BUSYBOX=$b
			break
		fi
	done
	[ -n "$NESTED_BUSYBOX" ] ||
		nested_skip "no statically linked busybox (apt-get install busybox-static)"
}

# Resolves VB_NESTED_GUEST_KERNEL into NESTED_GUEST_KERNEL (the image to
# install as /guest/vmlinuz), NESTED_GUEST_KIND (debian, small or custom)
# and NESTED_GUEST_MODULES_WANTED (1: copy the Debian virtio modules into
# the inner initramfs; 0: the kernel has its drivers built in and the
# modules, built for another kernel, could not load anyway). "small" builds
# the kernel if it is not cached (minutes, once); skips (77) if its build
# dependencies are missing. Needs nested_require.
nested_guest_kernel() {
	local want=${VB_NESTED_GUEST_KERNEL:-debian} rc=0
	NESTED_GUEST_MODULES_WANTED=0
	case $want in
	debian)
		NESTED_GUEST_KIND=debian
		NESTED_GUEST_KERNEL=$NESTED_KERNEL
		NESTED_GUEST_MODULES_WANTED=1
		;;
	small)
		NESTED_GUEST_KIND=small
		NESTED_GUEST_KERNEL=$("$NESTED_DIR/kernel/build") || rc=$?
		[ "$rc" -ne 77 ] || nested_skip "the small guest kernel cannot be built here"
		if [ "$rc" -ne 0 ] || [ ! -f "$NESTED_GUEST_KERNEL" ]; then
			nested_die "building the small guest kernel failed (tests/nested/kernel/build)"
		fi
		;;
	/*)
		NESTED_GUEST_KIND=custom
		NESTED_GUEST_KERNEL=$want
		[ -r "$want" ] || nested_die "guest kernel $want is not readable"
		;;
	*)
		nested_die "VB_NESTED_GUEST_KERNEL='$want': want debian, small or an absolute path"
		;;
	esac
}

nested_cache_root() {
	# CI may run without HOME: fall back to the user's home from passwd,
	# so the cache (and the small kernel built into it) is found again.
	local home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
	printf '%s\n' "${VB_NESTED_CACHE:-${XDG_CACHE_HOME:-${home:-/tmp}/.cache}/vmboot-nested}"
}

# The module files (.ko, .ko.xz, .ko.zst) that modprobe would insert for the
# given module names, dependencies first, each once. Built-in modules are
# skipped.
nested_module_files() {
	local m
	for m in "$@"; do
		modprobe -S "$NESTED_KVER" --show-depends "$m" 2>/dev/null || true
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# Copies a module into a tree, decompressed: busybox insmod hands the file to
# init_module(2) as is, and the kernel cannot be relied on to decompress.
nested_copy_module() {
	local src=$1 root=$2 rel dst
	rel=${src#/}
	case $rel in
	*.ko.xz) dst=$root/${rel%.xz}; mkdir -p "$(dirname "$dst")"; xz -dc "$src" >"$dst" ;;
	*.ko.zst) dst=$root/${rel%.zst}; mkdir -p "$(dirname "$dst")"; zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) dst=$root/${rel%.gz}; mkdir -p "$(dirname "$dst")"; gzip -dc "$src" >"$dst" ;;
	*) dst=$root/$rel; mkdir -p "$(dirname "$dst")"; cp "$src" "$dst" ;;
	esac
	printf '%s\n' "/${dst#"$root"/}"
}

# Installs static busybox into a tree, with only the /bin/sh link: the
# init scripts create the other applet links at boot (busybox --install),
# which is much faster than several hundred ln processes per build.
nested_install_busybox() {
	local root=$1
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
		"$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run"
	cp "$NESTED_BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
}

# Writes a newc cpio of directory $1 to stdout, entries owned by root.
nested_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0)
}

# The cache key: kernel version plus a hash of every input of the cached
# archives (kernel, busybox, the scripts, the guest tests, the module list).
nested_cache_key() {
	local h
	h=$({
		printf '%s %s %s\n' "$NESTED_KVER" "$NESTED_GUEST_KIND" "$NESTED_GUEST_MODULES_WANTED"
		sha256sum "$NESTED_KERNEL" "$NESTED_GUEST_KERNEL" "$NESTED_BUSYBOX" \
			"$NESTED_DIR/lib.sh" "$NESTED_DIR/outer-init.sh" "$NESTED_DIR/guest-init.sh"
		find "$NESTED_DIR/guest-tests" -type f -name '*.sh' -print0 2>/dev/null |
			LC_ALL=C sort -z | xargs -0 -r sha256sum
		nested_module_files "${NESTED_OUTER_MODULES[@]}" "${NESTED_GUEST_MODULES[@]}" \
			"${NESTED_DISK_MODULES[@]}" |
			xargs -r sha256sum
	} | sed "s|$NESTED_DIR/||" | sha256sum | cut -c1-16)
	printf '%s-%s-%s\n' "$NESTED_KVER" "$NESTED_GUEST_KIND" "$h"
}

# The Debian kernel's virtio modules and their modprobe index, into tree $1.
nested_install_guest_modules() {
	local root=$1 f moddir=/lib/modules/$NESTED_KVER
	for f in $(nested_module_files "${NESTED_GUEST_MODULES[@]}"); do
		nested_copy_module "$f" "$root" >/dev/null
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -e "$moddir/$f" ] && cp "$moddir/$f" "$root$moddir/"
	done
	depmod -b "$root" "$NESTED_KVER"
}

# The modules vmboot's zero-config initramfs loads (src/initramfs/
# initramfs.c) with what they depend on, as a /lib/modules/KVER tree packed
# into tar.gz $1 for the outer VM's root (the "host" of a zero-config run
# there). Needs nested_require.
nested_zeroconf_modules_tar() {
	local out=$1 stage f m
	stage=$(mktemp -d "${out}.stage.XXXXXX")
	mkdir -p "$stage/lib/modules/$NESTED_KVER"
	for m in virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng \
		virtio_balloon 9pnet_virtio 9p crc32c_generic ext4; do
		modprobe -S "$NESTED_KVER" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r f; do
		mkdir -p "$stage$(dirname "$f")"
		cp "$f" "$stage$f"
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -e "/lib/modules/$NESTED_KVER/$f" ] && cp "/lib/modules/$NESTED_KVER/$f" \
			"$stage/lib/modules/$NESTED_KVER/"
	done
	depmod -b "$stage" "$NESTED_KVER"
	tar -C "$stage" -czf "$out" lib
	rm -rf "$stage"
}

# The inner guest's initramfs: busybox, the virtio modules (unless the guest
# kernel has them built in), /init and the guest test scripts. Written to $1.
nested_build_guest_initrd() {
	local out=$1 root f
	root=$(mktemp -d "${out}.root.XXXXXX")
	nested_install_busybox "$root"
	if [ "$NESTED_GUEST_MODULES_WANTED" -eq 1 ]; then
		nested_install_guest_modules "$root"
	fi
	install -m 0755 "$NESTED_DIR/guest-init.sh" "$root/init"
	mkdir -p "$root/tests"
	for f in "$NESTED_DIR"/guest-tests/*.sh; do
		[ -e "$f" ] && install -m 0755 "$f" "$root/tests/"
	done
	# Proves the guest runs from this initramfs (guest-init.sh reports it).
	echo vmboot-nested >"$root/.vmboot-initrd"
	nested_cpio "$root" | gzip -6 >"$out"
	rm -rf "$root"
}

# The outer archives: guest.cpio (inner kernel and initrd) and base.cpio.gz
# (busybox, kvm modules, /init), in directory $1.
nested_build_outer() {
	local dir=$1 root f
	root=$(mktemp -d "$dir/guest.XXXXXX")
	mkdir -p "$root/guest"
	cp "$NESTED_GUEST_KERNEL" "$root/guest/vmlinuz"
	nested_build_guest_initrd "$root/guest/initrd.img"
	nested_cpio "$root" >"$dir/guest.cpio"
	cp "$root/guest/initrd.img" "$dir/guest-initrd.img"
	rm -rf "$root"

	root=$(mktemp -d "$dir/base.XXXXXX")
	nested_install_busybox "$root"
	mkdir -p "$root/work" "$root/etc"
	: >"$root/etc/kvm-modules"
	for f in $(nested_module_files "${NESTED_OUTER_MODULES[@]}"); do
		nested_copy_module "$f" "$root" >>"$root/etc/kvm-modules"
	done
	: >"$root/etc/disk-modules"
	for f in $(nested_module_files "${NESTED_DISK_MODULES[@]}"); do
		nested_copy_module "$f" "$root" >>"$root/etc/disk-modules"
	done
	install -m 0755 "$NESTED_DIR/outer-init.sh" "$root/init"
	nested_cpio "$root" | gzip -6 >"$dir/base.cpio.gz"
	rm -rf "$root"
}

# Resolves the guest kernel (nested_guest_kernel), builds the cached
# archives if needed and sets NESTED_CACHE_DIR to the
# directory holding guest.cpio, base.cpio.gz and guest-initrd.img. Safe when
# several runs start at once: each builds in a private directory and the
# first rename wins.
nested_prepare() {
	local root key start tmp
	nested_guest_kernel
	root=$(nested_cache_root)
	key=$(nested_cache_key)
	NESTED_CACHE_DIR=$root/$key
	start=$(nested_now)
	if [ -f "$NESTED_CACHE_DIR/base.cpio.gz" ]; then
		touch "$NESTED_CACHE_DIR"
		nested_phase_done "initramfs build (cached $key)" "$start"
		return 0
	fi
	mkdir -p "$root"
	tmp=$(mktemp -d "$root/.build.XXXXXX")
	chmod 0755 "$tmp"
	nested_log "building initramfs for $NESTED_KVER (guest kernel: $NESTED_GUEST_KIND) in $NESTED_CACHE_DIR"
	if ! nested_build_outer "$tmp"; then
		rm -rf "$tmp"
		nested_die "initramfs build failed"
	fi
	mv -T "$tmp" "$NESTED_CACHE_DIR" 2>/dev/null || rm -rf "$tmp"
	[ -f "$NESTED_CACHE_DIR/base.cpio.gz" ] || nested_die "initramfs cache missing after build"
	# Entries for older inputs (edited scripts, previous kernels) and
	# abandoned builds: drop those untouched for a day, so a run that is
	# still using one is not disturbed. kernel/ is kernel/build's cache,
	# which is expensive to refill and keyed on its own.
	find "$root" -mindepth 1 -maxdepth 1 -type d -mtime +0 \
		! -path "$NESTED_CACHE_DIR" ! -name kernel -exec rm -rf {} + 2>/dev/null || true
	nested_phase_done "initramfs build (cold $key)" "$start"
}

# Quotes each argument for a POSIX shell (busybox ash) in single quotes.
nested_shell_quote() {
	local a out=''
	for a in "$@"; do
		out+="'${a//\'/\'\\\'\'}' "
	done
	printf '%s\n' "${out% }"
}

# Copies a dynamically linked program's libraries and its loader into a
# tree, at the paths ldd reports. Static programs and non-ELF files are left
# alone. libgcc_s is added because glibc dlopen()s it for pthread_cancel and
# unwinding, which ldd does not show.
nested_copy_libs() {
	local prog=$1 root=$2 lib
	[ "$(head -c 4 "$prog" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
	ldd "$prog" >/dev/null 2>&1 || return 0
	for lib in $(ldd "$prog" | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
		if [ -e "$lib" ]; then
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
			break
		fi
	done
}

# The per-run archive, written to $1: files ($NESTED_FILES, an array) in
# /work, the vmboot binary ($NESTED_VMBOOT, may be empty) in /bin, their
# libraries, /work/.vbdisks (how many --disk files outer-init.sh waits
# for) and /work/.vbcmd running the command given as arguments.
nested_build_run_archive() {
	local out=$1 root f
	shift
	root=$(mktemp -d "${out}.root.XXXXXX")
	mkdir -p "$root/work" "$root/bin"
	for f in "${NESTED_FILES[@]}"; do
		cp -L "$f" "$root/work/"
		nested_copy_libs "$f" "$root"
	done
	if [ -n "$NESTED_VMBOOT" ]; then
		cp -L "$NESTED_VMBOOT" "$root/bin/vmboot"
		chmod 0755 "$root/bin/vmboot"
		nested_copy_libs "$NESTED_VMBOOT" "$root"
		# vmboot's helpers where /bin/vmboot finds them: user-mode
		# networking's (libslirp) beside it, the zero-config default's
		# init in /libexec/vmboot (../libexec/vmboot from /bin).
		f=$(nested_vmboot_helper "$NESTED_VMBOOT" vmboot-net vmboot-net)
		if [ -n "$f" ]; then
			cp -L "$f" "$root/bin/vmboot-net"
			nested_copy_libs "$f" "$root"
		fi
		f=$(nested_vmboot_helper "$NESTED_VMBOOT" vmboot-init src/guestinit/vmboot-init)
		if [ -n "$f" ]; then
			mkdir -p "$root/libexec/vmboot"
			cp -L "$f" "$root/libexec/vmboot/vmboot-init"
		fi
	fi
	printf '%s\n' "${#NESTED_DISKS[@]}" >"$root/work/.vbdisks"
	printf '%s\n' "$(nested_shell_quote "$@")" >"$root/work/.vbcmd"
	nested_cpio "$root" | gzip -1 >"$out"
	rm -rf "$root"
}

# Checks a --disk argument of run or run-cmd ($1: the program's name for
# messages) and adds it to NESTED_DISKS.
nested_add_disk() {
	local prog=$1 f=$2
	[ -f "$f" ] || [ -b "$f" ] ||
		{ printf '%s: --disk %s: no such file or block device\n' "$prog" "$f" >&2; exit 2; }
	[ -r "$f" ] || { printf '%s: --disk %s: not readable\n' "$prog" "$f" >&2; exit 2; }
	# QEMU's -drive option splits on commas; a name with one cannot be
	# passed without escaping, which is not worth it for a test harness.
	case $f in
	*,*) printf '%s: --disk %s: the path may not contain a comma\n' "$prog" "$f" >&2; exit 2 ;;
	esac
	# virtio_blk names disks vda..vdz in PCI order; more are not needed.
	[ "${#NESTED_DISKS[@]}" -lt 26 ] ||
		{ printf '%s: at most 26 --disk files\n' "$prog" >&2; exit 2; }
	NESTED_DISKS+=("$f")
}

# QEMU options attaching NESTED_DISKS, one -drive each, into array
# NESTED_DRIVE_ARGS. snapshot=on: writes go to a temporary overlay, so a test
# booting a disk image read-write leaves the image as it was.
nested_drive_args() {
	local f
	NESTED_DRIVE_ARGS=()
	for f in "${NESTED_DISKS[@]}"; do
		NESTED_DRIVE_ARGS+=(-drive "file=$f,format=raw,if=virtio,snapshot=on,cache=unsafe")
	done
}

# Boots the outer VM with the command given as arguments and streams its
# console to stdout. Needs nested_require, nested_prepare, NESTED_FILES,
# NESTED_DISKS, NESTED_VMBOOT and NESTED_TIMEOUT. Returns the command's exit status from
# the marker line, 124 on timeout, 99 if the VM died without a marker.
nested_boot_outer() {
	# QEMU's emulator runs the outer VM at the mercy of the host's load: on
	# a busy 2-core machine a run can starve past its timeout, and a nested
	# guest starved under TCG has been seen to die of it (a double fault on
	# its first system call; the same boot passed when the host was quiet).
	# More tries tell a starved run from a hang or a real crash, which
	# happen again; the log says which it was.
	# The same goes for an outer VM that died without a word or whose
	# kernel panicked (a "stack guard page was hit" in vmboot's vCPU
	# thread, the outer kernel's own exception recursion) and, when the
	# command failed, an inner guest that triple-faulted (no test reboots
	# that way: they reset through the keyboard controller): each seen
	# several times in a day of runs whose repeats passed. On some days the
	# outer kernel dies every few minutes of inner boots, with vmboot
	# binaries from before and after a change alike: a page fault on a
	# per-CPU access in its own page fault handler until the stack runs
	# out, a GS base that is not the kernel's, as if the emulator let an
	# interrupt in between VMRUN's exit and KVM's VMLOAD of the host's
	# state. Hence three more tries, not two. VB_NESTED_RETRY is how many more
	# tries (default 3; 0: none).
	nested_retrying nested_boot_outer_once nested_retry_reason "$@"
}

# Runs ONCE with the command given after it, and again (after
# nested_cleanup) for as long as REASON, given the status, names a reason
# and VB_NESTED_RETRY (default 3) allows. Returns the last run's status.
nested_retrying() {
	local once=$1 reason=$2 status=0 why left=${VB_NESTED_RETRY:-3}
	shift 2
	"$once" "$@" || status=$?
	while [ "$left" -gt 0 ]; do
		why=$("$reason" "$status")
		[ -n "$why" ] || break
		left=$((left - 1))
		nested_log "$why: trying once more (VB_NESTED_RETRY=0 to disable)"
		nested_cleanup
		status=0
		"$once" "$@" || status=$?
	done
	return "$status"
}

# Why a run that ended with status $1 is worth another try, or nothing.
nested_retry_reason() {
	if [ "$1" -eq 124 ] && [ -e "$NESTED_WORK/stuck" ]; then
		echo "it hung ($(cat "$NESTED_WORK/stuck"))"
	elif [ "$1" -eq 124 ]; then
		echo "timed out"
	elif grep -aq 'Kernel panic - not syncing' "$NESTED_WORK/console" 2>/dev/null; then
		echo "a kernel panicked ($(grep -ao 'Kernel panic - not syncing: .*' \
			"$NESTED_WORK/console" | head -n 1))"
	elif [ "$1" -eq 99 ]; then
		echo "the outer VM stopped without its exit marker"
	elif [ "$1" -ne 0 ] && nested_triple_faulted "$NESTED_WORK/console"; then
		echo "an inner guest triple-faulted"
	fi
}

# Whether vmboot's log in file $1 says its guest reset on a triple fault
# (machine/vcpu.c).
nested_triple_faulted() {
	grep -aq 'guest reset (triple fault)' "$1" 2>/dev/null
}

# The outer kernel has also been seen to wedge without a word (a corrupted
# kernel stack during an 8-vCPU inner boot): no soft lockup report, only
# silence until the timeout, 25 minutes for some tests. outer-init.sh
# writes a line to a serial port of the outer VM ($work/heartbeat) every
# 10 s while that kernel still schedules; after VB_NESTED_SILENCE seconds
# (default 300) without one, the VM is ended as a hang, and the caller
# tries once more. So is an outer VM whose console ($work/console) has the
# kernel's watchdog saying a CPU has been stuck for two minutes: a hang, or
# a starved emulator; either way the run will not finish. A hang of vmboot
# inside a live outer VM keeps the heartbeat going: that one still runs
# into the timeout.
nested_watch_heartbeat() {
	local work=$1 limit=${VB_NESTED_SILENCE:-300} quiet stuck
	while sleep 15; do
		stuck=$(nested_soft_lockup "$work/console")
		if [ -n "$stuck" ]; then
			printf '%s\n' "$stuck" >"$work/stuck"
			pkill -f -- "-initrd $work/initrd" || true
			return
		fi
		[ -s "$work/heartbeat" ] || continue # not booted yet
		quiet=$(($(date +%s) - $(stat -c %Y "$work/heartbeat")))
		if [ "$quiet" -ge "$limit" ]; then
			echo "no heartbeat from the outer kernel for $quiet s" >"$work/stuck"
			pkill -f -- "-initrd $work/initrd" || true
			return
		fi
	done
}

# The first line of console log $1 where the kernel's watchdog reports a
# CPU stuck for 120 s or more, or nothing.
nested_soft_lockup() {
	[ -r "$1" ] || return 0
	tr -d '\r' <"$1" | awk 'match($0, /soft lockup - CPU#[0-9]+ stuck for [0-9]+s/) {
		n = substr($0, RSTART, RLENGTH); sub(/.* for /, "", n)
		if (n + 0 >= 120) { print; exit } }'
}

nested_boot_outer_once() {
	local work start status=0 ready_t end_t line
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmboot-nested.XXXXXX")
	NESTED_WORK=$work # removed by nested_cleanup

	start=$(nested_now)
	nested_build_run_archive "$work/run.cpio.gz" "$@"
	cat "$NESTED_CACHE_DIR/guest.cpio" "$NESTED_CACHE_DIR/base.cpio.gz" \
		"$work/run.cpio.gz" >"$work/initrd"
	nested_phase_done "run archive" "$start"

	start=$(nested_now)
	nested_drive_args
	: >"$work/ready"
	# panic=-1: a crash of the outer init reboots, and -no-reboot turns that
	# into a QEMU exit instead of a hang until the timeout. With pipefail
	# the pipeline's status is timeout's (the loop always succeeds).
	# One outer VM at a time (flock): each emulates two CPUs, and two of
	# them on a 2-core machine (make -j2 check) starve each other's guests
	# into soft lockups and time-outs. The wait is not part of the timeout.
	mkdir -p "$(nested_cache_root)"
	nested_watch_heartbeat "$work" &
	local watch=$!
	flock "$(nested_cache_root)/qemu.lock" \
		timeout --kill-after=10 "$NESTED_TIMEOUT" "$NESTED_QEMU" \
		-accel tcg -cpu EPYC,+svm,+npt -m 6G -smp 2 \
		-nographic -serial mon:stdio -serial "file:$work/heartbeat" \
		-no-reboot -nic none "${NESTED_DRIVE_ARGS[@]}" \
		-kernel "$NESTED_KERNEL" -initrd "$work/initrd" \
		-append "console=ttyS0 quiet panic=-1 vbheartbeat=ttyS1" </dev/null \
		2> >(grep -v "TCG doesn't support requested feature" >&2) |
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%$'\r'}
			printf '%s\n' "$line"
			printf '%s\n' "$line" >>"$work/console"
			# Firmware escape sequences may precede a marker on its line.
			if [[ $line == *"$NESTED_READY_MARKER"* && ! -s $work/ready ]]; then
				nested_now >"$work/ready"
			fi
		done || status=$?
	kill "$watch" 2>/dev/null || true
	wait "$watch" 2>/dev/null || true
	end_t=$(nested_now)
	ready_t=$(cat "$work/ready")
	if [ -n "$ready_t" ]; then
		awk -v s="$start" -v r="$ready_t" -v e="$end_t" 'BEGIN {
			printf "nested: time: outer boot to /dev/kvm: %.2f s\n", r - s
			printf "nested: time: command (and poweroff): %.2f s\n", e - r }' >&2
	else
		nested_phase_done "outer VM (never reached /dev/kvm)" "$start"
	fi
	if [ -e "$work/stuck" ]; then
		nested_log "ended as a hang: $(cat "$work/stuck")"
		return 124
	fi
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		nested_log "timeout after $NESTED_TIMEOUT s"
		return 124
	fi
	line=$(grep -ao "${NESTED_EXIT_MARKER}[0-9]*\$" "$work/console" 2>/dev/null |
		tail -n 1 || true)
	if [ -z "$line" ]; then
		nested_log "the outer VM stopped without a $NESTED_EXIT_MARKER line"
		return 99
	fi
	line=${line#"$NESTED_EXIT_MARKER"}
	case $line in
	'' | *[!0-9]*) nested_log "bad marker value '$line'"; return 99 ;;
	esac
	return "$line"
}

# ---- run --interactive -------------------------------------------------
#
# The console of the command (vmboot, with its guest) is the user's
# terminal: QEMU's ttyS0 is a stdio character device and the outer init runs
# the command on it (outer-init.sh), while the outer kernel and the init's
# own messages and markers go to ttyS1, a file. With stdin a terminal, QEMU
# puts it in raw mode (and restores it) and every key reaches the guest,
# Ctrl-C included; vmboot's Ctrl-A x ends the run. With stdin a pipe or file,
# nested_relay feeds it: it holds the input until the guest's shell prompts
# (input sent earlier would be lost while the inner kernel boots), sends it,
# and at end of input waits for the prompt again and types Ctrl-D, so the
# shell exits with the status of its last command, the guest powers off,
# vmboot exits with that status and so does the harness.

# The zero-config default's modules (src/initramfs/initramfs.c's list with
# their dependencies, a /lib/modules/KVER tree with its index) as a tar.gz
# at $1, cached beside the outer archives. Needs nested_prepare.
nested_zeroconf_modules() {
	local out=$1 cached=$NESTED_CACHE_DIR/zc-modules.tar.gz stage m f
	if [ ! -f "$cached" ]; then
		stage=$(mktemp -d "$NESTED_CACHE_DIR/.zc.XXXXXX")
		mkdir -p "$stage/lib/modules/$NESTED_KVER"
		for m in virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng \
			virtio_balloon 9pnet_virtio 9p crc32c_generic ext4; do
			modprobe -S "$NESTED_KVER" --show-depends "$m" 2>/dev/null |
				awk '$1 == "insmod" { print $2 }'
		done | sort -u | while read -r f; do
			mkdir -p "$stage$(dirname "$f")"
			cp "$f" "$stage$f"
		done
		for f in modules.builtin modules.builtin.modinfo modules.order; do
			[ -e "/lib/modules/$NESTED_KVER/$f" ] &&
				cp "/lib/modules/$NESTED_KVER/$f" "$stage/lib/modules/$NESTED_KVER/"
		done
		depmod -b "$stage" "$NESTED_KVER"
		tar -C "$stage" -czf "$stage.tar.gz" lib
		mv -f "$stage.tar.gz" "$cached"
		rm -rf "$stage"
	fi
	cp "$cached" "$out"
}

# The size of file $1 in bytes (0 if it does not exist).
nested_file_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# Waits until console log $1 has grown past $2 bytes, ends in a shell
# prompt ("# ", "$ " or "> " at the end of its last line, after terminal
# escape sequences such as busybox's cursor position query are taken out)
# and has been still for a second: the shell is waiting for input. With
# $3, fails once that many seconds have passed without one.
nested_wait_prompt() {
	local log=$1 from=$2 size last=-1 still=0 end=''
	[ -z "${3:-}" ] || end=$(($(date +%s) + $3))
	for (( ; ; )); do
		if [ -n "$end" ] && [ "$(date +%s)" -ge "$end" ]; then
			return 1
		fi
		size=$(nested_file_size "$log")
		if [ "$size" -gt "$from" ] && [ "$size" -eq "$last" ]; then
			still=$((still + 1))
			if [ "$still" -ge 5 ] &&
				tail -c 200 "$log" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' |
				tail -n 1 | grep -q '[#$>] *$'; then
				return 0
			fi
		else
			still=0
		fi
		last=$size
		sleep 0.2
	done
}

# Copies stdin to stdout for a guest shell watched through console log $1
# (see above). Killed by the caller when QEMU exits. A guest that has not
# prompted VB_NESTED_PROMPT_WAIT seconds (default 300) after the outer VM
# started is a hang (an inner guest has been seen to stop printing early
# in its boot, its vCPUs frozen, in one start of about fifteen): the VM is
# ended, and since none of the input was taken yet, started over.
nested_relay() {
	local log=$1 line='' sent=0 size work
	work=$(dirname "$log")
	if ! nested_wait_prompt "$log" 0 "${VB_NESTED_PROMPT_WAIT:-300}"; then
		echo "no guest shell prompt after ${VB_NESTED_PROMPT_WAIT:-300} s" >"$work/stuck"
		pkill -f -- "-initrd $work/initrd" || true
		exec sleep infinity
	fi
	# From here on the input is the guest's: a run that dies now cannot
	# be started over (nested_interactive_retry_reason).
	: >"$work/input-taken"
	size=$(nested_file_size "$log")
	while IFS= read -r line; do
		printf '%s\n' "$line"
		line=''
		sent=1
	done
	[ -z "$line" ] || { printf '%s\n' "$line"; sent=1; } # a last line without its newline
	# Typed lines are echoed, so the output grows before the next prompt.
	[ "$sent" = 0 ] || nested_wait_prompt "$log" "$size"
	printf '\004'
	# Hold the pipe open (the end of QEMU's stdin is not the guest's), as
	# this very process, so the caller's kill leaves no child behind.
	exec sleep infinity
}

# Boots the outer VM with the command given as arguments on the user's
# terminal (or fed from stdin by nested_relay). With NESTED_ZEROCONF=1 the
# outer VM is set up as a zero-config host (outer-init.sh). Needs what
# nested_boot_outer needs; NESTED_TIMEOUT 0 means no time limit. Returns the
# command's status from the marker (on ttyS1), 124 on timeout, 99 without.
# An outer VM that dies (nested_boot_outer) before the command can have
# had any input is booted again, up to VB_NESTED_RETRY more times
# (default 3): the user's first contact should not end in the emulator's
# crash when starting over loses nothing.
nested_boot_interactive() {
	nested_retrying nested_boot_interactive_once nested_interactive_retry_now "$@"
}

# nested_interactive_retry_reason for this run's stdin.
nested_interactive_retry_now() {
	local why
	why=$(nested_interactive_retry_reason "$1" "$([ -t 0 ] && echo tty)")
	[ -z "$why" ] || echo "$why before the command had any input"
}

# Why an interactive run that ended with status $1 is worth another try,
# or nothing: only while none of the user's input can have been taken.
# Piped input is held until the guest's shell prompts (nested_relay); what
# is typed on a terminal ($2 = tty) reaches the command as soon as the
# outer VM has started it. A time limit that ran out is the caller's.
nested_interactive_retry_reason() {
	local work=$NESTED_WORK
	[ ! -e "$work/input-taken" ] || return 0
	if [ "${2:-}" = tty ] && grep -aq "$NESTED_READY_MARKER" "$work/console" 2>/dev/null; then
		return 0
	fi
	[ "$1" -ne 124 ] || [ -e "$work/stuck" ] || return 0
	# vmboot ends with 0 on a guest's reset, a triple fault included.
	if nested_triple_faulted "$work/tty.log"; then
		echo "an inner guest triple-faulted"
		return 0
	fi
	nested_retry_reason "$1"
}

nested_boot_interactive_once() {
	local work start status=0 line lock saved='' relay='' timeout_args watch
	# This run's files join the caller's for this run only.
	local -a NESTED_FILES=("${NESTED_FILES[@]}")
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmboot-nested.XXXXXX")
	NESTED_WORK=$work # removed by nested_cleanup
	: >"$work/.vbinteractive"
	NESTED_FILES+=("$work/.vbinteractive")
	if [ "${NESTED_ZEROCONF:-0}" = 1 ]; then
		nested_zeroconf_modules "$work/.vbzeroconf.tar.gz"
		NESTED_FILES+=("$work/.vbzeroconf.tar.gz")
	fi
	start=$(nested_now)
	nested_build_run_archive "$work/run.cpio.gz" "$@"
	cat "$NESTED_CACHE_DIR/guest.cpio" "$NESTED_CACHE_DIR/base.cpio.gz" \
		"$work/run.cpio.gz" >"$work/initrd"
	nested_phase_done "run archive" "$start"

	nested_drive_args
	lock=$(nested_cache_root)/qemu.lock
	mkdir -p "$(nested_cache_root)"
	flock -n "$lock" true || nested_log "waiting for another nested run to finish (one QEMU at a time)"
	# --foreground: QEMU must stay in the terminal's foreground process
	# group to read it. Duration 0: no limit.
	timeout_args=(--foreground --kill-after=10 "$NESTED_TIMEOUT")
	# shellcheck disable=SC2054 # QEMU's option values hold the commas
	local qemu=(flock "$lock" timeout "${timeout_args[@]}" "$NESTED_QEMU"
		-accel tcg -cpu EPYC,+svm,+npt -m 6G -smp 2
		-display none -vga none -monitor none -no-reboot -nic none
		"${NESTED_DRIVE_ARGS[@]}"
		-chardev stdio,id=con,signal=off -serial chardev:con
		-serial "file:$work/console" -serial "file:$work/heartbeat"
		-kernel "$NESTED_KERNEL" -initrd "$work/initrd"
		-append "console=ttyS1 quiet panic=-1 vbheartbeat=ttyS2")
	nested_watch_heartbeat "$work" &
	watch=$!
	start=$(nested_now)
	if [ -t 0 ]; then
		saved=$(stty -g 2>/dev/null || true)
		"${qemu[@]}" 2> >(grep -v "TCG doesn't support requested feature" >&2) || status=$?
		[ -z "$saved" ] || stty "$saved" 2>/dev/null || true
	else
		mkfifo "$work/in"
		: >"$work/tty.log"
		# A background job's stdin would be /dev/null: hand it ours.
		exec 3<&0
		nested_relay "$work/tty.log" <&3 >"$work/in" &
		relay=$!
		exec 3<&-
		"${qemu[@]}" <"$work/in" 2> >(grep -v "TCG doesn't support requested feature" >&2) |
			tee -a "$work/tty.log" || status=$?
		kill "$relay" 2>/dev/null || true
		wait "$relay" 2>/dev/null || true
	fi
	kill "$watch" 2>/dev/null || true
	wait "$watch" 2>/dev/null || true
	nested_phase_done "outer VM" "$start"
	if [ -e "$work/stuck" ]; then
		nested_log "ended as a hang: $(cat "$work/stuck")"
		return 124
	fi
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		nested_log "timeout after $NESTED_TIMEOUT s"
		return 124
	fi
	line=$(tr -d '\r' <"$work/console" 2>/dev/null | grep -ao "${NESTED_EXIT_MARKER}[0-9]*\$" |
		tail -n 1 || true)
	if [ -z "$line" ]; then
		nested_log "the outer VM stopped without a $NESTED_EXIT_MARKER line; its console ended:"
		tail -n 20 "$work/console" >&2 2>/dev/null || true
		return 99
	fi
	line=${line#"$NESTED_EXIT_MARKER"}
	case $line in
	'' | *[!0-9]*) nested_log "bad marker value '$line'"; return 99 ;;
	esac
	return "$line"
}

nested_cleanup() {
	if [ -n "${NESTED_WORK:-}" ]; then
		rm -rf "$NESTED_WORK"
	fi
}

# The vmboot binary: --vmboot PATH (NESTED_VMBOOT_ARG), else
# $VB_BUILDDIR/vmboot, else ./vmboot, else, for the harness installed in
# PREFIX/share/vmboot/nested by make install, PREFIX/bin/vmboot, else vmboot
# on PATH; empty if none exists.
nested_vmboot_path() {
	local installed=${NESTED_DIR%/share/vmboot/nested}/bin/vmboot
	if [ -n "${NESTED_VMBOOT_ARG:-}" ]; then
		printf '%s\n' "$NESTED_VMBOOT_ARG"
	elif [ -n "${VB_BUILDDIR:-}" ] && [ -x "$VB_BUILDDIR/vmboot" ]; then
		printf '%s\n' "$VB_BUILDDIR/vmboot"
	elif [ -x ./vmboot ]; then
		printf '%s\n' "$PWD/vmboot"
	elif [ "$installed" != "$NESTED_DIR/bin/vmboot" ] && [ -x "$installed" ]; then
		printf '%s\n' "$installed"
	else
		command -v vmboot || true
	fi
}

# vmboot's helper program $2 (vmboot-net, vmboot-init) for the vmboot binary
# $1, where that vmboot looks first (src/util/helper.h): in its build tree
# ($3, relative to its directory), else in ../libexec/vmboot/ of an
# installed tree. Empty if neither exists.
nested_vmboot_helper() {
	local dir f
	dir=$(dirname "$1")
	for f in "$dir/$3" "$dir/../libexec/vmboot/$2"; do
		if [ -f "$f" ]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
}

# The VMBOOT-GUEST lines of console log $1 without their prefix. Firmware
# escape sequences can precede a line, so the prefix is found anywhere.
nested_guest_lines() {
	tr -d '\r' <"$1" | sed -n 's/.*VMBOOT-GUEST: //p'
}

# Checks the VMBOOT-GUEST report in console log $1 of a guest given $2 MiB
# of RAM, $3 CPUs and kernel parameters $4 (a substring of its cmdline).
# Prints one line per failed check; returns 1 if any failed.
nested_check_guest_report() {
	local log=$1 mem_mib=$2 cpus=$3 params=$4 fail=0 lines v lo
	lines=$(nested_guest_lines "$log")
	v=$(sed -n 's/^MemTotal=\([0-9]*\).*/\1/p' <<<"$lines" | tail -n 1)
	# MemTotal excludes what the kernel reserves for itself (its image,
	# the struct page array: 64 bytes per 4 KiB page, early allocations),
	# about 50 MiB for a 256 MiB Debian guest: accept 90% less 64 MiB.
	lo=$((mem_mib * 1024 * 9 / 10 - 64 * 1024))
	if [ -z "$v" ] || [ "$v" -gt $((mem_mib * 1024)) ] || [ "$v" -lt "$lo" ]; then
		echo "FAIL: MemTotal=${v:-missing} kB, expected $lo..$((mem_mib * 1024)) kB"
		fail=1
	fi
	v=$(sed -n 's/^cpus=\([0-9]*\).*/\1/p' <<<"$lines" | tail -n 1)
	if [ "$v" != "$cpus" ]; then
		echo "FAIL: cpus=${v:-missing}, expected $cpus"
		fail=1
	fi
	v=$(sed -n 's/^cmdline=//p' <<<"$lines" | tail -n 1)
	case " $v " in
	*" $params "*) ;;
	*) echo "FAIL: cmdline '$v' lacks '$params'"; fail=1 ;;
	esac
	if ! grep -qx 'initrd=ok' <<<"$lines"; then
		echo "FAIL: no initrd=ok (the guest did not run the harness initrd)"
		fail=1
	fi
	if ! grep -qx 'done' <<<"$lines"; then
		echo "FAIL: no 'VMBOOT-GUEST: done' line"
		fail=1
	fi
	return "$fail"
}

# Checks that the guest of console log $1 runs its local APIC timer in
# TSC-deadline mode, which vmboot offers in the CPUID where
# KVM_GET_SUPPORTED_CPUID leaves it out (src/arch/x86/cpuid.h). Not for
# guests of QEMU's emulator (test_harness.sh): its CPU has no such mode.
nested_check_tsc_deadline() {
	local v
	v=$(nested_guest_lines "$1" | sed -n 's/^clockevent=//p' | tail -n 1)
	if [ "$v" != lapic-deadline ]; then
		echo "FAIL: clockevent=${v:-missing}, expected lapic-deadline (the TSC-deadline timer)"
		return 1
	fi
}

# Checks the e820 lines in log $1 for a machine with RAM above 4 GiB: RAM
# ends below the 32-bit gap (src/mem/memmap.h: VB_GAP_START_BYTES,
# 3328 MiB = 0xd0000000), no RAM inside the gap, and RAM starts again at
# 4 GiB. Prints failures; returns 1 if any.
nested_check_e820_gap() {
	local log=$1
	nested_guest_lines "$log" | sed -n 's/^e820=//p' | awk '
		function hex(s,   i, c, v) {
			s = tolower(s); sub(/^0x/, "", s); v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1)) - 1
				v = v * 16 + c
			}
			return v
		}
		{
			split($1, r, "-"); s = hex(r[1]); e = hex(r[2])
			type = $0; sub(/^[^ ]* /, "", type)
			if (type != "System RAM") next
			n++
			if (s < 3328 * 2^20 && e < 3328 * 2^20) low = 1
			if (s < 4 * 2^30 && e >= 3328 * 2^20) {
				printf "FAIL: RAM %s inside the gap [0xd0000000, 0x100000000)\n", $1
				bad = 1
			}
			if (s == 4 * 2^30) high = 1
		}
		END {
			if (!n) { print "FAIL: no e820 System RAM lines"; exit 1 }
			if (!low) { print "FAIL: no RAM below 0xd0000000"; bad = 1 }
			if (!high) { print "FAIL: no RAM starting at 0x100000000"; bad = 1 }
			exit bad
		}'
}
