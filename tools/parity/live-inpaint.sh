#!/usr/bin/env bash
# Live parity for the generate stage's image ops: regenerates the OpenCV Telea and Pillow mask goldens with the
# local Python into a temp dir and checks they are byte-identical to the committed tests/goldens/{telea,masks},
# then runs the tests that compare semibench with them. Needs Debian's python3-opencv 4.6 and python3-pil 9.4
# (apt-get install python3-opencv python3-pil); PYTHON overrides /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY="${PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import PIL, cv2, numpy' 2>/dev/null; then
  echo "live-inpaint: $PY lacks PIL/cv2/numpy (apt-get install python3-pil python3-opencv)" >&2
  exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" tools/parity/make_telea_goldens.py "$tmp/telea"
"$PY" tools/parity/make_mask_goldens.py "$tmp/masks"
drift=0
for g in telea masks; do
  if diff -rq "tests/goldens/$g" "$tmp/$g"; then
    echo "live-inpaint: regenerated $g goldens are byte-identical to tests/goldens/$g"
  else
    drift=1
    echo "live-inpaint: regenerated $g goldens DIFFER (versions: $("$PY" -c 'import PIL, cv2; print("Pillow", PIL.__version__, "OpenCV", cv2.__version__)'))" >&2
  fi
done
npx vitest run tests/generation/generate/telea.test.ts tests/generation/generate/masks.test.ts
exit "$drift"
