#!/usr/bin/env bash
# Live image parity (npm run parity:live): regenerates the Pillow/torchvision goldens with the local Python into a
# temp dir, reports any drift from the committed tests/goldens/image, and runs tests/image against the fresh ones.
# Needs Debian's python3-pil 9.4 + python3-torchvision 0.14 (PYTHON overrides /usr/bin/python3).
# Exit 1 when a test fails, or when the goldens drift (pass --allow-drift to only warn, e.g. on other versions).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY="${PYTHON:-/usr/bin/python3}"
allow_drift=0
[[ "${1:-}" == "--allow-drift" ]] && allow_drift=1

if ! "$PY" -c 'import PIL, torch, torchvision, numpy' 2>/dev/null; then
  echo "parity:live: $PY lacks PIL/torch/torchvision/numpy (apt-get install python3-torchvision python3-pil)" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" tools/parity/make_image_goldens.py "$tmp/image"

drift=0
if diff -rq tests/goldens/image "$tmp/image"; then
  echo "parity:live: regenerated goldens are byte-identical to tests/goldens/image"
else
  drift=1
  echo "parity:live: regenerated goldens DIFFER from tests/goldens/image (versions: $("$PY" -c 'import PIL, torchvision; print(PIL.__version__, torchvision.__version__)'))" >&2
fi

SEMIBENCH_IMAGE_GOLDENS="$tmp/image" npx vitest run tests/image

if [[ $drift -eq 1 && $allow_drift -eq 0 ]]; then
  echo "parity:live: src/image matches the fresh goldens, but they drifted; rerun with --allow-drift or regenerate" >&2
  exit 1
fi
