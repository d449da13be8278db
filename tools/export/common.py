"""Shared helpers for the ONNX exporters in tools/export/ (run them with /usr/bin/python3).

Every exporter follows the same path: load the official checkpoint into a faithful PyTorch re-implementation
(strict=True), export with torch.onnx.export (opset 17, input `input`, output `logit`, dynamic batch, and dynamic
H, W where the net is size-agnostic), run onnx.checker, hash the file, then run the ONNX file in onnxruntime-node
(ort_run.mjs, the runtime semibench uses) on seeded random inputs and compare with PyTorch: max abs diff <= 1e-4.
It prints the figures and a manifest snippet (src/detectors/manifest.ts `model` block).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
ORT_RUN = HERE / 'ort_run.mjs'
DEFAULT_OPSET = 17
DEFAULT_TOL = 1e-4
INPUT_NAME = 'input'
OUTPUT_NAME = 'logit'


def log(tag: str, message: str) -> None:
    print(f'[{tag}] {message}', flush=True)


def configure_threads(threads: int | None = None) -> int:
    """Debian's torch starts with 1 thread here; use OMP_NUM_THREADS, else 2."""
    n = threads or int(os.environ.get('OMP_NUM_THREADS', '0') or 0) or 2
    torch.set_num_threads(n)
    return n


# ---------------------------------------------------------------------------------------------- checkpoints

def load_checkpoint(path: str | Path):
    """Reads a .pth/.pt file: a TorchScript archive (OpenAI CLIP's ViT-L-14.pt) or a torch.save pickle."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f'checkpoint not found: {path}')
    # A TorchScript archive is a zip holding constants.pkl; torch.save files hold data.pkl only.
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if any(name.endswith('constants.pkl') for name in z.namelist()):
                return torch.jit.load(str(path), map_location='cpu')
    return torch.load(str(path), map_location='cpu')


def load_state_dict(path: str | Path, key: str | None = None) -> dict[str, torch.Tensor]:
    """A flat state dict from any of the official layouts.

    - `{'model': state_dict, ...}` (CNNSpot; also holds optimizer state) and `{'state_dict': ...}`: unwrapped;
      `key` names the entry explicitly.
    - a bare state dict (NPR, UFD's fc_weights.pth);
    - a TorchScript archive or a pickled nn.Module: its state_dict();
    - `module.` prefixes left by DataParallel are stripped.
    """
    obj = load_checkpoint(path)
    if isinstance(obj, nn.Module):  # includes torch.jit.ScriptModule
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise SystemExit(f'{path}: expected a state dict, got {type(obj).__name__}')
    if key is not None:
        if key not in obj:
            raise SystemExit(f'{path}: no key {key!r} (top-level keys: {", ".join(map(str, list(obj)[:10]))})')
        obj = obj[key]
    else:
        for wrapper in ('model', 'state_dict'):
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    state = {}
    for k, v in obj.items():
        if not isinstance(v, torch.Tensor):
            raise SystemExit(f'{path}: entry {k!r} is a {type(v).__name__}, not a tensor (pass --key to pick the state dict)')
        state[k[len('module.'):] if k.startswith('module.') else k] = v
    return state


def load_strict(model: nn.Module, state: Mapping[str, torch.Tensor], source: str) -> None:
    """load_state_dict(strict=True) with a short message naming the first missing/unexpected keys."""
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        def head(keys):
            return ', '.join(keys[:6]) + (f' … (+{len(keys) - 6})' if len(keys) > 6 else '')
        raise SystemExit(
            f'{source} does not match the architecture: missing {len(result.missing_keys)} '
            f'[{head(result.missing_keys)}], unexpected {len(result.unexpected_keys)} [{head(result.unexpected_keys)}]'
        )


def randomize_norms_(model: nn.Module, seed: int, calibration: torch.Tensor | None = None) -> nn.Module:
    """Tests only: make every norm layer a non-identity, as in a trained net, so the parity check exercises it.

    BatchNorm and LayerNorm affine parameters are drawn at random (weight in [0.5, 1.5), bias ~ N(0, 0.1)).
    BatchNorm running stats are then measured on `calibration` (one train-mode pass with a cumulative average,
    as training would leave them) and jittered. Without that pass a random-init ResNet-50 in eval mode blows
    activations up to logits of ~100, where float32 rounding alone exceeds 1e-4. Leaves the model in eval mode.
    """
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)) and m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        if calibration is not None and bns:
            momenta = [bn.momentum for bn in bns]
            for bn in bns:
                bn.reset_running_stats()
                bn.momentum = None  # cumulative moving average: the stats of this one batch
            model.train()
            model(calibration)
            for bn, momentum in zip(bns, momenta):
                bn.momentum = momentum
        for bn in bns:
            spread = bn.running_var.sqrt()
            bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=g) * 0.1 * spread)
            bn.running_var.mul_(torch.rand(bn.running_var.shape, generator=g) * 0.6 + 0.7)
            if calibration is None:  # no measured stats: random ones around the identity
                bn.running_var.add_(torch.rand(bn.running_var.shape, generator=g) * 0.5)
    return model.eval()


# ---------------------------------------------------------------------------------------------- export

def export_onnx(model: nn.Module, example: torch.Tensor, out: Path, *, dynamic_hw: bool, opset: int = DEFAULT_OPSET) -> None:
    import onnx

    out.parent.mkdir(parents=True, exist_ok=True)
    axes = {0: 'batch', 2: 'height', 3: 'width'} if dynamic_hw else {0: 'batch'}
    model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 warns once per graph pass about prim::Constant shape inference; it is harmless noise.
        warnings.filterwarnings('ignore', message='The shape inference of prim::Constant')
        torch.onnx.export(
            model, example, str(out),
            opset_version=opset,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: {0: 'batch'}},
            do_constant_folding=True,
        )
    onnx.checker.check_model(str(out))  # the path form also works for files over 2 GB


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- verification

def run_onnxruntime(onnx_path: Path, inputs: list[np.ndarray], threads: int = 2) -> list[np.ndarray]:
    """Runs onnx_path in onnxruntime-node (ort_run.mjs) on each input; returns the `logit` outputs."""
    node = os.environ.get('NODE') or shutil.which('node')
    if not node:
        raise SystemExit('node not found on PATH (set NODE=/path/to/node): the check runs the model in onnxruntime-node')
    with tempfile.TemporaryDirectory(prefix='semibench-ort-') as tmp:
        argv = [node, str(ORT_RUN), str(onnx_path), '--threads', str(threads), '--output', OUTPUT_NAME]
        outs = []
        for i, x in enumerate(inputs):
            src, dst = Path(tmp, f'in{i}.f32'), Path(tmp, f'out{i}.f32')
            np.ascontiguousarray(x, dtype='<f4').tofile(src)
            argv += [str(src), ','.join(map(str, x.shape)), str(dst)]
            outs.append(dst)
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f'onnxruntime-node failed on {onnx_path}:\n{proc.stderr.strip()}')
        runs = json.loads(proc.stdout.strip().splitlines()[-1])['runs']
        return [np.fromfile(dst, dtype='<f4').reshape(run['dims']) for dst, run in zip(outs, runs)]


def parse_shapes(text: str) -> list[tuple[int, ...]]:
    """'2x3x224x224,1x3x512x512' -> [(2, 3, 224, 224), (1, 3, 512, 512)]."""
    try:
        return [tuple(int(d) for d in part.split('x')) for part in text.split(',') if part]
    except ValueError:
        raise SystemExit(f'bad --verify-shapes {text!r}: want e.g. 2x3x224x224,1x3x512x512')


def sample_inputs(shapes: list[tuple[int, ...]], seed: int) -> list[torch.Tensor]:
    """Seeded inputs in the range of normalised images. For N x C x H x W: a random coarse 6x6 pattern upsampled
    bilinearly, times a per-image contrast, plus fine noise of a per-image strength. Pure white noise is a poor
    probe: after global pooling every noise image gives nearly the same logit, and the comparison proves little."""
    g = torch.Generator().manual_seed(seed)
    inputs = []
    for shape in shapes:
        if len(shape) != 4:
            inputs.append(torch.randn(shape, generator=g))
            continue
        n, c, h, w = shape
        coarse = torch.randn((n, c, 6, 6), generator=g)
        smooth = torch.nn.functional.interpolate(coarse, size=(h, w), mode='bilinear', align_corners=False)
        contrast = torch.rand((n, 1, 1, 1), generator=g) * 1.5 + 0.25
        grain = torch.rand((n, 1, 1, 1), generator=g) * 0.6 + 0.02
        inputs.append((smooth * contrast + grain * torch.randn(shape, generator=g)).clamp(-2.5, 2.5))
    return inputs


def verify(model: nn.Module, onnx_path: Path, inputs: list[torch.Tensor], *, tag: str, tol: float, threads: int) -> dict:
    """Compares onnxruntime-node against PyTorch on each input; prints one line per input."""
    model.eval()
    with torch.no_grad():
        expected = [model(x).numpy() for x in inputs]
    got = run_onnxruntime(onnx_path, [x.numpy() for x in inputs], threads)
    checks = []
    for x, e, o in zip(inputs, expected, got):
        if e.shape != o.shape:
            raise SystemExit(f'[{tag}] output shape differs: torch {e.shape} vs onnxruntime {o.shape}')
        diff = float(np.abs(e - o).max())
        shape = 'x'.join(map(str, x.shape))
        log(tag, f'verify {shape}: max |onnxruntime - torch| = {diff:.2e}  (torch logits in [{e.min():.4g}, {e.max():.4g}])')
        checks.append({'shape': shape, 'max_abs_diff': diff, 'logit_min': float(e.min()), 'logit_max': float(e.max())})
    max_diff = max(c['max_abs_diff'] for c in checks)
    return {'checks': checks, 'max_abs_diff': max_diff, 'tol': tol, 'passed': max_diff <= tol,
            'samples': [(x.numpy(), e, o) for x, e, o in zip(inputs, expected, got)]}


# ---------------------------------------------------------------------------------------------- CLI plumbing

def add_common_args(parser: argparse.ArgumentParser, *, default_shapes: str | None, shapes_help: str | None = None) -> None:
    """The flags every exporter shares. default_shapes None: the exporter fills --verify-shapes after parsing."""
    g = parser.add_argument_group('export and verification')
    g.add_argument('--out', required=True, type=Path, help='ONNX file to write, e.g. models/cnnspot/blur_jpg_prob0.1.onnx')
    g.add_argument('--models-root', type=Path, default=None,
                   help='folder the manifest path is relative to (default: two levels above --out)')
    g.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    g.add_argument('--verify-shapes', default=default_shapes,
                   help=f'input shapes for the onnxruntime-vs-torch check (default {shapes_help or default_shapes})')
    g.add_argument('--tol', type=float, default=DEFAULT_TOL, help='max abs logit difference allowed (default 1e-4)')
    g.add_argument('--seed', type=int, default=0, help='seed of the random verification inputs')
    g.add_argument('--threads', type=int, default=None, help='torch and onnxruntime threads (default OMP_NUM_THREADS or 2)')
    g.add_argument('--no-verify', action='store_true', help='skip the onnxruntime check (not recommended)')
    g.add_argument('--report-json', type=Path, default=None, help='also write the figures as JSON')


def export_and_verify(model: nn.Module, args: argparse.Namespace, *, tag: str, dynamic_hw: bool,
                      input_size: tuple[int, int] | None = None, reference: nn.Module | None = None) -> dict:
    """Export, check, hash, verify, print the manifest snippet. Returns the report (with in-memory samples).

    `reference` is the PyTorch model the ONNX output is compared with, when it is not the exported module itself
    (NPR and the DINOv2 variant export an equivalent, export-friendly form of the upstream forward)."""
    threads = configure_threads(args.threads)
    model.eval()
    shapes = parse_shapes(args.verify_shapes)
    inputs = sample_inputs(shapes, args.seed)

    started = time.perf_counter()
    export_onnx(model, inputs[0], args.out, dynamic_hw=dynamic_hw, opset=args.opset)
    export_s = time.perf_counter() - started
    size = args.out.stat().st_size
    digest = sha256_file(args.out)
    axes = 'batch, height, width' if dynamic_hw else 'batch'
    log(tag, f'exported {args.out} ({size / 1e6:.1f} MB, opset {args.opset}, dynamic {axes}) in {export_s:.1f} s; onnx.checker OK')

    report = {'detector': tag, 'onnx': str(args.out), 'bytes': size, 'sha256': digest, 'opset': args.opset,
              'input': INPUT_NAME, 'output': OUTPUT_NAME, 'dynamic_axes': axes, 'export_s': round(export_s, 2),
              'passed': True, 'samples': []}
    if not args.no_verify:
        started = time.perf_counter()
        result = verify(model if reference is None else reference, args.out, inputs, tag=tag, tol=args.tol, threads=threads)
        report.update(result, verify_s=round(time.perf_counter() - started, 2))
        verdict = 'PASS' if result['passed'] else 'FAIL'
        log(tag, f'{verdict}: max abs diff {result["max_abs_diff"]:.2e} (tolerance {args.tol:.0e})')

    root = args.models_root or args.out.resolve().parent.parent
    rel = os.path.relpath(args.out.resolve(), Path(root).resolve())
    model_block = {'path': rel, 'sha256': digest, 'input': INPUT_NAME, 'output': OUTPUT_NAME}
    if input_size:
        model_block['inputSize'] = list(input_size)
    example = list(inputs[0].shape)
    shape = ['batch', *example[1:2], 'height', 'width'] if dynamic_hw else ['batch', *example[1:]]
    report['manifest_model'] = model_block
    print(f'Input shape {json.dumps(shape)}; manifest snippet (model block, path relative to {root}):')
    print(json.dumps({'model': model_block}, indent=2))
    if args.report_json:
        args.report_json.write_text(json.dumps({k: v for k, v in report.items() if k != 'samples'}, indent=2) + '\n')
    return report


def exit_code(report: dict) -> int:
    return 0 if report['passed'] else 1


if __name__ == '__main__':
    sys.exit('common.py is a library; run cnnspot.py, npr.py, ufd.py, dinov2_variant.py or self_test.py')
