#!/usr/bin/env python3
"""Flash and RAM of the card firmware (make firmware, docs/firmware.md).

usage: size_report.py FIRMWARE.elf FIRMWARE.map
Totals from the image's section headers (arm-none-eabi-size -A): flash = what the image stores (vectors, code,
constants, the initial values of .data); RAM = .data + .bss + the stack firmware/link.ld reserves. Flash is
split by where the bytes come from (linker map), RAM by its largest objects (arm-none-eabi-nm)."""
import re
import subprocess
import sys

ORIGINS = [
    ("card core + codec parsers + profiles", re.compile(r"libfirmware_card\.a\(")),
    ("mbedTLS 3.6", re.compile(r"libfirmware_mbedcrypto\.a\(")),
    ("firmware: start-up, board, main loop", re.compile(r"qscd-card\.elf\.dir/")),
    ("C runtime: newlib, libgcc", re.compile(r".")),
]
# An input section in the map: name, then (on the same or the next line) address, size, object file.
INPUT = re.compile(r"^ (\.\S+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", re.M)
FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".init_array", ".data")
RAM_SECTIONS = (".data", ".bss", ".stack")
BIG = 256  # RAM objects listed on their own from this size
LABELS = {  # firmware/src/main.cpp's objects
    "card": "card object (VirtualCard)",
    "persistent_memory": "persistent memory (RamStorage)",
    "crypto_heap": "mbedTLS heap",
    "command": "command APDU buffer",
    "response": "response APDU buffer",
    "main::line": "command line buffer",
}


def section_sizes(elf):
    out = subprocess.run(["arm-none-eabi-size", "-A", elf], check=True, capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def flash_by_origin(map_path):
    text = open(map_path).read()
    text = text[text.index("Linker script and memory map"):]
    text = re.sub(r"\n {16,}0x", " 0x", text)  # join long section names with their address line
    totals = {name: 0 for name, _ in ORIGINS}
    for m in INPUT.finditer(text):
        section, address, size, origin = m.group(1), int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        if size == 0 or address == 0 and not section.startswith(".isr_vector"):
            continue
        if section.startswith((".bss", "COMMON", ".debug", ".comment", ".ARM.attributes", ".stack")):
            continue
        for name, pattern in ORIGINS:
            if pattern.search(origin):
                totals[name] += size
                break
    return totals


def ram_objects(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-C", "-S", "--size-sort", elf], check=True, capture_output=True,
                         text=True).stdout
    objects = []
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) ([0-9a-f]+) ([bBdD]) (.*)$", line)
        if m:
            objects.append((int(m.group(2), 16), m.group(4).replace("(anonymous namespace)::", "")))
    return sorted(objects, reverse=True)


def main():
    elf, map_path = sys.argv[1], sys.argv[2]
    sizes = section_sizes(elf)
    flash = sum(sizes.get(s, 0) for s in FLASH_SECTIONS)
    ram = sum(sizes.get(s, 0) for s in RAM_SECTIONS)
    print(f"flash {flash} bytes ({flash / 1024:.1f} KiB)")
    origins = flash_by_origin(map_path)
    for name, size in origins.items():
        print(f"  {name:40} {size:8}")
    print(f"  {'alignment padding':40} {flash - sum(origins.values()):8}")
    print(f"RAM {ram} bytes ({ram / 1024:.1f} KiB)")
    objects = ram_objects(elf)
    for size, name in objects:
        if size >= BIG:
            print(f"  {LABELS.get(name, name):40} {size:8}")
    listed = sum(size for size, _ in objects if size >= BIG)
    stack = sizes.get(".stack", 0)
    print(f"  {'stack (firmware/link.ld)':40} {stack:8}")
    print(f"  {'other (< %d bytes each, padding)' % BIG:40} {ram - stack - listed:8}")


if __name__ == "__main__":
    main()
