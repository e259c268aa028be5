#!/usr/bin/env python3
"""Derives a rootfs tar from a base one, for tests that need odd images.

make_rootfs.py BASE.tar OUT.tar [--symlink PATH=TARGET]... [--file PATH=TEXT]...
    [--dir PATH]... [--remove PATH]... [--exec PATH=TEXT]... [--random-file PATH=SIZE]...

Entries named by --symlink, --file, --dir or --remove replace (or drop) the
base's entry of that path; the others are copied as they are.
"""
import argparse
import io
import os
import tarfile


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("out")
    p.add_argument("--symlink", action="append", default=[])
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--dir", action="append", default=[])
    p.add_argument("--remove", action="append", default=[])
    p.add_argument("--exec", action="append", default=[], help="PATH=TEXT: an executable file")
    p.add_argument("--random-file", action="append", default=[], help="PATH=SIZE: SIZE random bytes")
    a = p.parse_args()

    def norm(path):
        return path.strip("/")

    links = dict(s.split("=", 1) for s in a.symlink)
    files = {k: (v, 0o644) for k, v in (f.split("=", 1) for f in a.file)}
    files.update({k: (v, 0o755) for k, v in (f.split("=", 1) for f in a.exec)})
    randoms = dict(r.split("=", 1) for r in a.random_file)
    replaced = {norm(k) for k in list(links) + list(files) + list(randoms) + a.dir + a.remove}
    with tarfile.open(a.base) as base, tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as out:
        for m in base.getmembers():
            if norm(m.name) in replaced:
                continue
            out.addfile(m, base.extractfile(m) if m.isfile() else None)
        for path in a.dir:
            info = tarfile.TarInfo(norm(path))
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            out.addfile(info)
        for path, target in links.items():
            info = tarfile.TarInfo(norm(path))
            info.type, info.linkname = tarfile.SYMTYPE, target
            out.addfile(info)
        for path, (text, mode) in files.items():
            data = (text + "\n").encode()
            info = tarfile.TarInfo(norm(path))
            info.size, info.mode = len(data), mode
            out.addfile(info, io.BytesIO(data))
        for path, size in randoms.items():
            data = os.urandom(int(size))
            info = tarfile.TarInfo(norm(path))
            info.size, info.mode = len(data), 0o644
            out.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
