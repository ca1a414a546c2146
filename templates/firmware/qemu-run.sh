#!/usr/bin/env bash
# The cargo runner (see .cargo/config.toml): qemu-run.sh MACHINE FIRMWARE.elf
# Runs the firmware under QEMU in a device directory and decodes its defmt log.
set -euo pipefail
machine="$1"
elf="$(realpath "$2")"
device="target/device/$machine"
mkdir -p "$device"
cd "$device"
# The QEMU board's TEST-ONLY device secret: random, once per device directory.
[ -f device-secret.bin ] || head -c 32 /dev/urandom > device-secret.bin
# Semihosting carries the defmt frames to stdout, and the firmware's exit status to QEMU's.
# `timeout`: a firmware that never exits would keep QEMU running.
timeout 120 qemu-system-arm -machine "$machine" -display none -monitor none -serial none \
    -semihosting-config enable=on,target=native,chardev=log -chardev stdio,id=log,signal=off \
    -kernel "$elf" | defmt-print -e "$elf"
