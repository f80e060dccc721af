#!/usr/bin/env bash
# Makes a one-layer image archive in `docker save` format from a root
# filesystem directory, with no registry and no engine:
#   tests/clients/make-image-archive.sh ROOTFS_DIR OUT.tar NAME:TAG
# `docker load` and `ctr image import` both read it. The image runs /bin/sh.
set -euo pipefail
rootfs=${1:?usage: make-image-archive.sh ROOTFS_DIR OUT.tar NAME:TAG}
out=${2:?usage}
ref=${3:?usage}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir -p "$work/img/$diff_id"
mv "$work/layer.tar" "$work/img/$diff_id/layer.tar"
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created_by":"make-image-archive.sh"}]}
JSON
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/img/$config_id.json"
cat > "$work/img/manifest.json" <<JSON
[{"Config":"$config_id.json","RepoTags":["$ref"],"Layers":["$diff_id/layer.tar"]}]
JSON
tar -C "$work/img" -cf "$out" .
