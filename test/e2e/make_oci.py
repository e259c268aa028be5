#!/usr/bin/env python3
"""make_oci.py ROOTFS_TAR OUT_DIR [--compression gzip|zstd|none] [--second-layer]
                 [--index] [--salt TEXT] [--gzip-level N] [--config-json J]

Writes an OCI image layout (oci-layout, index.json, blobs/) holding an image
made from ROOTFS_TAR, for skopeo to copy into the test registry:
  --second-layer  adds a layer with /hello.txt and a whiteout of /bin/ls
  --salt TEXT     adds a layer holding /salt with TEXT: blobs no other image shares
  --index         the image is an index with a linux/amd64 and a linux/arm64
                  entry (their configs differ in architecture)
  --config-json J the JSON object J is merged into the config's "config"
                  (Healthcheck, Shell, StopSignal, ...)
"""
import argparse, gzip, hashlib, io, json, os, subprocess, tarfile

p = argparse.ArgumentParser()
p.add_argument("rootfs")
p.add_argument("out")
p.add_argument("--compression", default="gzip", choices=["gzip", "zstd", "none"])
p.add_argument("--second-layer", action="store_true")
p.add_argument("--index", action="store_true")
p.add_argument("--salt")
p.add_argument("--gzip-level", type=int, default=1)
p.add_argument("--config-json")
a = p.parse_args()

os.makedirs(os.path.join(a.out, "blobs", "sha256"), exist_ok=True)


def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(a.out, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest


def compress(data):
    if a.compression == "gzip":
        return gzip.compress(data, compresslevel=a.gzip_level, mtime=0)
    if a.compression == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def layer_type():
    suffix = {"gzip": "+gzip", "zstd": "+zstd", "none": ""}[a.compression]
    return "application/vnd.oci.image.layer.v1.tar" + suffix


def layer_tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1600000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


tars = [open(a.rootfs, "rb").read()]
if a.second_layer:
    tars.append(layer_tar([("hello.txt", b"hello from layer 2\n"), ("bin/.wh.ls", b"")]))
if a.salt:
    tars.append(layer_tar([("salt", (a.salt * 200).encode())]))

layers = []
for data in tars:
    packed = compress(data)
    layers.append({"mediaType": layer_type(), "digest": blob(packed), "size": len(packed),
                   "diff": "sha256:" + hashlib.sha256(data).hexdigest()})


def manifest_for(arch):
    config = {"architecture": arch, "os": "linux", "created": "2026-01-02T03:04:05Z",
              "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [l["diff"] for l in layers]},
              "history": [{"created": "2026-01-02T03:04:05Z", "comment": "made by make_oci.py"}]}
    if a.config_json:
        config["config"].update(json.loads(a.config_json))
    cdata = json.dumps(config).encode()
    m = {"schemaVersion": 2,
         "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": blob(cdata), "size": len(cdata)},
         "layers": [{k: l[k] for k in ("mediaType", "digest", "size")} for l in layers]}
    mdata = json.dumps(m).encode()
    return {"mediaType": m["mediaType"], "digest": blob(mdata), "size": len(mdata),
            "platform": {"architecture": arch, "os": "linux"}}


if a.index:
    entries = [manifest_for("amd64"), manifest_for("arm64")]
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    idata = json.dumps(idx).encode()
    top = {"mediaType": idx["mediaType"], "digest": blob(idata), "size": len(idata)}
else:
    top = manifest_for("amd64")
    del top["platform"]
top["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
with open(os.path.join(a.out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
with open(os.path.join(a.out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
