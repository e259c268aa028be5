#!/usr/bin/env python3
"""hostile_archive.py CASE ROOTFS_TAR OUT

Writes an image archive for `skiff load` tests, laid out the way docker
before version 25 saves (<v1-id>/layer.tar, <config-hex>.json, manifest.json
last). Valid cases:
  docker-legacy  one image `legacy:1` from ROOTFS_TAR
  gzip, zstd     the same with its layer.tar compressed
  shared-layer   `two:1` is ROOTFS + a small layer; `one:1` is that small
                 layer alone, as a symlink to two:1's copy (docker writes
                 one for a layer met twice)
  docker-25      docker 25's layout: blobs/sha256/, index.json (with a bare
                 tag as ref.name), manifest.json, oci-layout, repositories
Hostile cases (each must fail and leave the store as it was):
  dotdot-layer, absolute-layer   manifest.json names ../.. or /etc/passwd
  missing-layer                  names a layer the archive doesn't have
  wrong-diff-id                  a valid layer, but not the one the config names
  truncated                      the archive cut in the middle of the layer
  config-not-json                the config is not JSON
  huge-manifest                  manifest.json of 5 MiB
  symlink-layer                  the layer is a symlink to /etc/passwd
  symlink-dotdot-layer           the layer is a symlink to ../../../etc/passwd
  not-a-tar-layer                the layer's bytes are no tar at all
  second-bad                     two images, the second's layer is wrong
  duplicate-manifest             manifest.json twice
  oci-wrong-blob                 an OCI layout whose layer blob isn't its digest
  oci-missing-blob               an OCI layout without its config blob
"""
import gzip, hashlib, io, json, subprocess, sys, tarfile

case, rootfs_path, out = sys.argv[1:4]
rootfs = open(rootfs_path, "rb").read()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def small_layer(text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = text.encode()
        info = tarfile.TarInfo("extra.txt")
        info.size = len(data)
        info.mtime = 1600000000
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config_for(diff_ids):
    return json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-02T03:04:05Z",
                       "config": {"Cmd": ["/bin/sh"]},
                       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]}}).encode()


members = []  # (name, bytes) or (name, ("symlink", target))


def add(name, data):
    members.append((name, data))


def image(tags, layers, diff_ids=None, config=None):
    """Adds layers (bytes or ("symlink", target, diff)) and a config; returns a manifest.json entry."""
    paths, diffs = [], []
    for i, layer in enumerate(layers):
        if isinstance(layer, tuple):
            _, target, diff = layer
            path = sha(f"{tags}{i}".encode()) + "/layer.tar"
            add(path, ("symlink", target))
            diffs.append(diff)
        else:
            path = sha(layer + str(i).encode()) + "/layer.tar"
            add(path, layer)
            diffs.append(sha(layer))
        paths.append(path)
    cfg = config if config is not None else config_for(diff_ids or diffs)
    cfg_name = sha(cfg) + ".json"
    add(cfg_name, cfg)
    return {"Config": cfg_name, "RepoTags": tags, "Layers": paths}


def write_tar(path, entries):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1600000000
            if isinstance(data, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))


def docker_archive(manifest):
    add("manifest.json", json.dumps(manifest).encode())
    write_tar(out, members)


if case == "docker-legacy":
    docker_archive([image(["legacy:1"], [rootfs])])
elif case == "gzip":
    entry = image(["packed:gzip"], [gzip.compress(rootfs, compresslevel=1, mtime=0)], diff_ids=[sha(rootfs)])
    docker_archive([entry])
elif case == "zstd":
    packed = subprocess.run(["zstd", "-q", "-c"], input=rootfs, stdout=subprocess.PIPE, check=True).stdout
    docker_archive([image(["packed:zstd"], [packed], diff_ids=[sha(rootfs)])])
elif case == "shared-layer":
    extra = small_layer("shared\n")
    two = image(["two:1"], [rootfs, extra])
    one = image(["one:1"], [("symlink", "../" + two["Layers"][1], sha(extra))])
    docker_archive([two, one])
elif case == "docker-25":
    cfg = config_for([sha(rootfs)])
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(cfg), "size": len(cfg)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": "sha256:" + sha(rootfs), "size": len(rootfs)}]}).encode()
    blobs = {sha(rootfs): rootfs, sha(cfg): cfg, sha(manifest): manifest}
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest),
        "size": len(manifest), "annotations": {"io.containerd.image.name": "docker.io/library/d25:1",
                                               "org.opencontainers.image.ref.name": "1"}}]}
    entries = [("blobs/sha256/" + h, d) for h, d in sorted(blobs.items())]
    entries += [("index.json", json.dumps(index).encode()),
                ("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(cfg), "RepoTags": ["d25:1"],
                                               "Layers": ["blobs/sha256/" + sha(rootfs)]}]).encode()),
                ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                ("repositories", json.dumps({"d25": {"1": sha(rootfs)}}).encode())]
    write_tar(out, entries)
elif case == "dotdot-layer":
    entry = image(["evil:1"], [rootfs])
    entry["Layers"] = ["../../../etc/passwd"]
    docker_archive([entry])
elif case == "absolute-layer":
    entry = image(["evil:1"], [rootfs])
    entry["Layers"] = ["/etc/passwd"]
    docker_archive([entry])
elif case == "missing-layer":
    entry = image(["evil:1"], [rootfs])
    entry["Layers"] = ["0" * 64 + "/layer.tar"]
    docker_archive([entry])
elif case == "wrong-diff-id":
    docker_archive([image(["evil:1"], [rootfs], diff_ids=[sha(small_layer("other\n"))])])
elif case == "truncated":
    docker_archive([image(["evil:1"], [rootfs])])
    whole = open(out, "rb").read()
    # manifest.json at the end is lost too: cut inside the layer.
    open(out, "wb").write(whole[: len(whole) // 2])
elif case == "config-not-json":
    docker_archive([image(["evil:1"], [rootfs], config=b"this is not JSON\n")])
elif case == "huge-manifest":
    entry = image(["evil:1"], [rootfs])
    add("manifest.json", (json.dumps([entry]) + " " * (5 << 20)).encode())
    write_tar(out, members)
elif case == "symlink-layer":
    docker_archive([image(["evil:1"], [("symlink", "/etc/passwd", sha(rootfs))])])
elif case == "symlink-dotdot-layer":
    docker_archive([image(["evil:1"], [("symlink", "../../../etc/passwd", sha(rootfs))])])
elif case == "not-a-tar-layer":
    junk = b"this is not a tar archive\n" * 100
    docker_archive([image(["evil:1"], [junk])])
elif case == "second-bad":
    good = image(["good:1"], [rootfs])
    bad = image(["evil:1"], [small_layer("bad\n")], diff_ids=[sha(small_layer("other\n"))])
    docker_archive([good, bad])
elif case == "duplicate-manifest":
    entry = image(["evil:1"], [rootfs])
    add("manifest.json", json.dumps([entry]).encode())
    docker_archive([entry])
elif case in ("oci-wrong-blob", "oci-missing-blob"):
    layer = rootfs
    cfg = config_for([sha(layer)])
    blobs = {sha(layer): layer, sha(cfg): cfg}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(cfg), "size": len(cfg)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": "sha256:" + sha(layer), "size": len(layer)}]}).encode()
    blobs[sha(manifest)] = manifest
    if case == "oci-wrong-blob":
        blobs[sha(layer)] = small_layer("swapped\n")
    else:
        del blobs[sha(cfg)]
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                "digest": "sha256:" + sha(manifest), "size": len(manifest),
                                                "annotations": {"org.opencontainers.image.ref.name": "evil:1"}}]}
    entries = [("blobs/sha256/" + h, d) for h, d in sorted(blobs.items())]
    entries += [("index.json", json.dumps(index).encode()), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')]
    write_tar(out, entries)
else:
    sys.exit(f"unknown case {case}")
