#!/usr/bin/env python3
"""Writes a hostile layer tar for the e2e tests: hostile_tar.py CASE OUT [OUTSIDE_DIR]."""
import io
import sys
import tarfile


def add_file(t, name, data=b"pwned\n", mode=0o644, uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.uid, info.gid = uid, gid
    t.addfile(info, io.BytesIO(data))


def add_dir(t, name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    t.addfile(info)


def add_link(t, name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    t.addfile(info)


def add_node(t, name, kind, major=1, minor=3):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = major, minor
    info.mode = 0o666
    t.addfile(info)


def main():
    case, out = sys.argv[1], sys.argv[2]
    outside = sys.argv[3] if len(sys.argv) > 3 else "/tmp/skiff-outside"
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        if case == "dotdot":
            add_file(t, "../../../../" + outside.lstrip("/") + "/pwned")
        elif case == "absolute":
            add_file(t, outside + "/pwned")
        elif case == "symlink-dir":
            add_link(t, "evil", outside)
            add_file(t, "evil/pwned")
        elif case == "symlink-relative":
            add_dir(t, "a")
            add_link(t, "a/up", "../../../../../../../../" + outside.lstrip("/"))
            add_file(t, "a/up/pwned")
        elif case == "hardlink-out":
            add_link(t, "passwd", outside + "/secret", tarfile.LNKTYPE)
        elif case == "hardlink-dotdot":
            add_link(t, "passwd", "../../../../" + outside.lstrip("/") + "/secret", tarfile.LNKTYPE)
        elif case == "whiteout-out":
            add_file(t, "../../../" + outside.lstrip("/") + "/.wh.secret", b"")
        elif case == "device":
            add_file(t, "ok", b"fine\n")
            add_node(t, "dev/mem", tarfile.CHRTYPE, 1, 1)
        elif case == "whiteouts":
            add_dir(t, "etc")
            add_file(t, "etc/.wh.hosts", b"")
            add_dir(t, "opaque")
            add_file(t, "opaque/.wh..wh..opq", b"")
            add_file(t, "opaque/kept")
        elif case == "owners":
            add_dir(t, "home")
            add_file(t, "home/user-file", uid=1000, gid=1000)
            add_file(t, "setuid", mode=0o4755)
        elif case == "overlay-xattr":
            info = tarfile.TarInfo("dir")
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.pax_headers = {"SCHILY.xattr.user.overlay.opaque": "y",
                                "SCHILY.xattr.user.overlay.redirect": "/etc"}
            t.addfile(info)
        elif case == "replace":
            add_dir(t, "d")
            add_file(t, "d/f", b"one\n")
            add_file(t, "d", b"now a file\n")
            add_file(t, "x", b"first\n")
            add_file(t, "x", b"second\n")
        else:
            sys.exit("unknown case " + case)


main()
