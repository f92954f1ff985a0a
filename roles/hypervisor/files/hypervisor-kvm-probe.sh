#!/bin/sh
# Does KVM really run guest code here? Boots a 64 KiB "BIOS" whose reset vector writes 0x2a to
# the isa-debug-exit port; QEMU then exits with status (0x2a << 1) | 1 = 85.
# Usage: hypervisor-kvm-probe.sh TIMEOUT_SECONDS [ACCEL]. ACCEL defaults to kvm (tcg: to test
# the probe itself). Exit 0: the accelerator runs guests; 1: it does not (reason on stdout).
set -u
timeout_s=${1:-10}
accel=${2:-kvm}
qemu=$(command -v qemu-system-x86_64) || { echo "qemu-system-x86_64 not found"; exit 1; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# mov al,0x2a; out 0xf4,al; hlt; jmp back to hlt, at the reset vector (last 16 bytes of the image).
{ head -c 65520 /dev/zero; printf '\260\052\346\364\364\353\375\0\0\0\0\0\0\0\0\0'; } > "$dir/probe.bin"
timeout "$timeout_s" "$qemu" -accel "$accel" -machine pc -m 16 -bios "$dir/probe.bin" \
  -display none -nodefaults -monitor none -serial none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$dir/log" 2>&1
rc=$?
if [ "$rc" -eq 85 ]; then
  echo "$accel usable"
  exit 0
fi
echo "qemu -accel $accel exited with status $rc: $(tr '\n' ' ' < "$dir/log")"
exit 1
