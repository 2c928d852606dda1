#!/usr/bin/env python3
"""Write COUNT multiboot a.out-kludge images made of random bytes (fixed
seed): the header, then 4 KiB of random code at the entry point. Half
first set up a stack; all load at 1 MiB."""
import random
import struct
import sys

MAGIC = 0x1BADB002
FLAGS = 0x00010000
LOAD = 0x100000

def image(rng, with_stack):
    code = bytes(rng.getrandbits(8) for _ in range(4096))
    if with_stack:
        code = b"\xbc\x00\x00\x80\x00" + code  # mov esp, 0x800000
    end = LOAD + 32 + len(code)
    header = struct.pack("<8I", MAGIC, FLAGS, (-(MAGIC + FLAGS)) & 0xFFFFFFFF,
                         LOAD, LOAD, end, end + 0x10000, LOAD + 32)
    return header + code

def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for i in range(count):
        with open(f"{out}/random-{i:03d}.bin", "wb") as f:
            f.write(image(rng, i % 2 == 0))

if __name__ == "__main__":
    main()
