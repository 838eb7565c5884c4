#!/usr/bin/env python3
"""Worst-case stack of the card core (issue 15, docs/firmware.md).

Reads the GCC call-graph files (-fcallgraph-info=su, one .ci per object, each node with its frame size from
-fstack-usage) of the target card_stack_usage and sums frames along every call chain from each entry point.
Counted: every function compiled here (card core, codec parsers, card profiles). Not counted (0 bytes, listed):
functions outside (mbedTLS, libc) and indirect calls (the platform's Storage / Random / Clock implementation).
A recursive chain makes the bound infinite: reported as an error.

usage: card_stack.py CI_DIR [--limit BYTES]   exit 1 if an entry point's worst chain exceeds BYTES.
"""
import argparse
import pathlib
import re
import sys

# Entry points: every APDU goes through VirtualCard::process; load and format run at power-on / personalisation.
APDU_ENTRY = "qscd::sim::VirtualCard::process("
OTHER_ENTRIES = ["qscd::sim::VirtualCard::load(", "qscd::sim::VirtualCard::format("]

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)")


def load(ci_dir):
    names, frames, qualifiers, calls = {}, {}, {}, {}
    for ci in sorted(pathlib.Path(ci_dir).rglob("*.ci")):
        text = ci.read_text()
        for title, label in NODE.findall(text):
            names.setdefault(title, label.split("\\n")[0])
            m = FRAME.search(label)
            if m:  # defined in this object (an external node has no frame)
                frames[title] = int(m.group(1))
                qualifiers[title] = m.group(2)
        for source, target in EDGE.findall(text):
            calls.setdefault(source, set()).add(target)
    return names, frames, qualifiers, calls


def worst_chains(names, frames, calls):
    best = {}  # title -> (total, chain)
    on_path = set()

    def visit(f):
        if f in best:
            return best[f]
        if f in on_path:
            raise RecursionError("recursive call chain through " + names.get(f, f))
        on_path.add(f)
        total, chain = 0, []
        for g in sorted(calls.get(f, ())):
            t, c = visit(g)
            if t > total:
                total, chain = t, c
        on_path.discard(f)
        best[f] = (frames.get(f, 0) + total, [f] + chain)
        return best[f]

    return visit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ci_dir")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    names, frames, qualifiers, calls = load(args.ci_dir)
    if not frames:
        print(f"card_stack: no call-graph files under {args.ci_dir}", file=sys.stderr)
        return 2
    visit = worst_chains(names, frames, calls)

    def entries(prefix):
        return sorted(t for t, n in names.items() if (n.startswith(prefix) or " " + prefix in n) and t in frames)

    def show(title):
        total, chain = visit(title)
        print(f"{total:6d} bytes  worst chain from {names[title]}")
        for f in chain:
            frame = f"{frames[f]:6d} {qualifiers[f]:<15}" if f in frames else "     ? (not compiled here)"
            print(f"         {frame} {names.get(f, f)}")
        return total

    status = 0
    print("== worst-case stack per entry point (frames summed along the deepest call chain)")
    if not entries(APDU_ENTRY):
        print("card_stack: VirtualCard::process not found", file=sys.stderr)
        status = 2
    for title in entries(APDU_ENTRY):
        if show(title) > args.limit > 0:
            print(f"card_stack: over the limit of {args.limit} bytes", file=sys.stderr)
            status = 1
    for prefix in OTHER_ENTRIES:  # power-on and personalisation run on the same stack
        for title in entries(prefix):
            if show(title) > args.limit > 0:
                print(f"card_stack: over the limit of {args.limit} bytes", file=sys.stderr)
                status = 1

    print("== largest frames (per function)")
    for f in sorted(frames, key=lambda t: -frames[t])[:10]:
        print(f"{frames[f]:6d} {qualifiers[f]:<15} {names[f]}")
    external = sorted({names.get(g, g) for gs in calls.values() for g in gs if g not in frames})
    print(f"== not counted: {len(external)} callees outside the card core (mbedTLS, libc, indirect platform calls)")
    return status


if __name__ == "__main__":
    sys.exit(main())
