#!/usr/bin/env python3
"""Build doppel's Linux guest initramfs: a cpio archive in the kernel's
"newc" format (Documentation/driver-api/early-userspace/buffer-format.rst),
written directly so that the archive is byte-for-byte reproducible: fixed
inode numbers, owner root, mtime 0, entries in a fixed order.

usage: mkinitramfs.py OUT BUSYBOX INIT
"""
import sys

DIR, FILE, LINK = 0o040755, 0o100755, 0o120777


def entry(ino, mode, name, data=b""):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1 if mode != DIR else 2, 0, len(data),
              0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    out, busybox, init = sys.argv[1:4]
    dirs = ["bin", "dev", "proc", "sys", "tmp", "sbin", "usr", "usr/bin", "usr/sbin"]
    files = [(d, DIR, b"") for d in dirs]
    files.append(("bin/busybox", FILE, open(busybox, "rb").read()))
    files.append(("bin/sh", LINK, b"busybox"))
    files.append(("init", FILE, open(init, "rb").read()))
    blob = b"".join(entry(i + 1, m, n, d) for i, (n, m, d) in enumerate(files))
    blob += entry(0, 0, "TRAILER!!!")
    blob += b"\0" * (-len(blob) % 512)
    with open(out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
