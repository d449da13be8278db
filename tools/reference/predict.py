"""Reference PyTorch pipeline for the end-to-end fidelity tests: PIL + torchvision preprocessing + the torch model,
as the detectors' own scripts run them. semibench's TypeScript pipeline (decode, preprocess, onnxruntime) must
reproduce these tensors and probabilities.

Usage (run with /usr/bin/python3; set OMP_NUM_THREADS=2 on a shared machine):
  /usr/bin/python3 tools/reference/predict.py --weights DIR/fidelity-resnet50.pth --protocol PROTOCOL \
      [--arch resnet50|npr] [--dump-dir DIR] IMAGE [IMAGE ...]
  (@list.txt reads arguments from a file, one per line)

Protocols (batch 1, one image at a time):
  native-cnnspot  PIL open -> convert('RGB') -> CenterCrop(224) -> ToTensor -> Normalize(ImageNet)
                  (CNNDetection eval.py; CenterCrop zero-pads images smaller than 224)
  semitruths      PIL open -> convert('RGB') -> Resize(256) [short side, bilinear, antialiased PIL] -> CenterCrop(224)
                  -> ToTensor -> Normalize(ImageNet) -> clamp(0, 1)   (SemiTruths run_1.py `trans` + clamp)

--weights: a torch.save(state_dict) for --arch: `resnet50` = torchvision resnet50(num_classes=1) (what
make_fidelity_model.py writes; a {'model': ...} CNNSpot checkpoint also loads), `npr` = tools/export/npr.py's
NPRResNet (upstream forward).

Output: ONE JSON object on stdout, {"<path as given>": P(fake) = sigmoid(logit), ...}, in input order.
--dump-dir DIR also writes, per image i (0-based, input order), DIR/<i>.f32 = the preprocessed tensor [3, H, W]
as raw little-endian float32, and DIR/index.json = [{"path", "file", "shape", "logit", "prob"}, ...].
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'export'))

import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

from common import configure_threads, load_state_dict, load_strict  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

PROTOCOLS = {
    'native-cnnspot': T.Compose([T.CenterCrop(224), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]),
    'semitruths': T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
                             lambda x: torch.clamp(x, min=0.0, max=1.0)]),
}


def build(arch: str) -> torch.nn.Module:
    if arch == 'resnet50':
        return torchvision.models.resnet50(num_classes=1)
    from npr import NPRResNet
    return NPRResNet()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     fromfile_prefix_chars='@')
    parser.add_argument('--weights', required=True, help='torch.save(state_dict) of the model')
    parser.add_argument('--arch', choices=['resnet50', 'npr'], default='resnet50')
    parser.add_argument('--protocol', required=True, choices=sorted(PROTOCOLS))
    parser.add_argument('--dump-dir', type=Path, default=None, help='write the preprocessed tensors here')
    parser.add_argument('images', nargs='+')
    args = parser.parse_args(argv)

    configure_threads()
    model = build(args.arch)
    load_strict(model, load_state_dict(args.weights), args.weights)
    model.eval()
    transform = PROTOCOLS[args.protocol]
    if args.dump_dir:
        args.dump_dir.mkdir(parents=True, exist_ok=True)

    probs, index = {}, []
    with torch.no_grad():
        for i, path in enumerate(args.images):
            with Image.open(path) as image:
                tensor = transform(image.convert('RGB'))
            out = model(tensor.unsqueeze(0)).reshape(-1)[:1]
            logit, prob = float(out), float(out.sigmoid())
            probs[path] = prob
            if args.dump_dir:
                name = f'{i}.f32'
                tensor.numpy().astype('<f4').tofile(args.dump_dir / name)
                index.append({'path': path, 'file': name, 'shape': list(tensor.shape), 'logit': logit, 'prob': prob})
    if args.dump_dir:
        (args.dump_dir / 'index.json').write_text(json.dumps(index, indent=1) + '\n')
    print(json.dumps(probs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
