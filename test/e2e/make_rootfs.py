#!/usr/bin/env python3
"""Derives a rootfs tar from a base one, for tests that need odd images.

make_rootfs.py BASE.tar OUT.tar [--symlink PATH=TARGET]... [--file PATH=TEXT]...
    [--dir PATH]... [--remove PATH]... [--exec PATH=TEXT]... [--random-file PATH=SIZE]...
    [--owner PATH=UID:GID]... [--mode PATH=OCTAL]...

Entries named by --symlink, --file, --dir or --remove replace (or drop) the
base's entry of that path; the others are copied as they are. --owner and
--mode change the owner and permission bits of any entry, new or copied.
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
    p.add_argument("--owner", action="append", default=[], help="PATH=UID:GID")
    p.add_argument("--mode", action="append", default=[], help="PATH=OCTAL")
    a = p.parse_args()

    def norm(path):
        return path.strip("/")

    links = dict(s.split("=", 1) for s in a.symlink)
    files = {k: (v, 0o644) for k, v in (f.split("=", 1) for f in a.file)}
    files.update({k: (v, 0o755) for k, v in (f.split("=", 1) for f in a.exec)})
    randoms = dict(r.split("=", 1) for r in a.random_file)
    replaced = {norm(k) for k in list(links) + list(files) + list(randoms) + a.dir + a.remove}
    owners = {norm(k): v.split(":") for k, v in (o.split("=", 1) for o in a.owner)}
    modes = {norm(k): int(v, 8) for k, v in (m.split("=", 1) for m in a.mode)}

    class Out:
        """The output tar; owners and modes asked for are applied to each entry."""

        def __init__(self, tar):
            self.tar = tar

        def addfile(self, info, data=None):
            if norm(info.name) in owners:
                info.uid, info.gid = (int(x) for x in owners[norm(info.name)])
                info.uname = info.gname = ""
            if norm(info.name) in modes:
                info.mode = modes[norm(info.name)]
            self.tar.addfile(info, data)

    with tarfile.open(a.base) as base, tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tar:
        out = Out(tar)
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
