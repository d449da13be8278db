"""Shared helpers for the metric-model exporters (clip_vitb32.py, lpips_squeeze.py, minilm.py, dreamsim_embed.py): graphs with named, possibly
integer inputs, checked in onnxruntime-node (ort_feed.mjs) against PyTorch. The detector exporters' helpers
(common.py: checkpoints, hashing) are reused."""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from common import DEFAULT_OPSET, load_state_dict, log, sha256_file

HERE = Path(__file__).resolve().parent
ORT_FEED = HERE / 'ort_feed.mjs'
SAFETENSORS_DTYPES = {'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'F64': np.float64}


def load_any_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a .safetensors file (read here: its format is an 8-byte header length, a JSON header, the
    raw tensors) or anything common.load_state_dict reads (.pt/.pth/.bin, TorchScript archives)."""
    path = Path(path)
    if path.suffix != '.safetensors':
        return load_state_dict(path)
    if not path.is_file():
        raise SystemExit(f'checkpoint not found: {path}')
    data = path.read_bytes()
    (size,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + size])
    state = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        if meta['dtype'] not in SAFETENSORS_DTYPES:
            raise SystemExit(f'{path}: {name} has dtype {meta["dtype"]}, which this reader does not handle')
        start, end = meta['data_offsets']
        array = np.frombuffer(data[8 + size + start:8 + size + end], dtype=SAFETENSORS_DTYPES[meta['dtype']])
        state[name] = torch.from_numpy(array.reshape(meta['shape']).copy())
    return state


def save_safetensors(state: dict[str, torch.Tensor], path: Path) -> None:
    """Writes float32 tensors in the safetensors format (tests: a Hugging Face-style checkpoint)."""
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        blob = tensor.detach().float().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    path.write_bytes(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def export_graph(model: nn.Module, examples: tuple[torch.Tensor, ...], out: Path, *, inputs: list[str], output: str,
                 dynamic: dict[str, dict[int, str]], opset: int = DEFAULT_OPSET) -> dict:
    """torch.onnx.export with named inputs/output, onnx.checker, size and sha256."""
    import onnx

    out.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='The shape inference of prim::Constant')
        torch.onnx.export(model, examples, str(out), opset_version=opset, input_names=inputs, output_names=[output],
                          dynamic_axes=dynamic, do_constant_folding=True)
    onnx.checker.check_model(str(out))
    return {'onnx': str(out), 'bytes': out.stat().st_size, 'sha256': sha256_file(out), 'inputs': inputs, 'output': output}


def run_feed(onnx_path: Path, output: str, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """Runs onnx_path in onnxruntime-node on named float32 / int64 arrays; returns the named output."""
    node = os.environ.get('NODE') or shutil.which('node')
    if not node:
        raise SystemExit('node not found on PATH (set NODE=/path/to/node): the check runs the model in onnxruntime-node')
    with tempfile.TemporaryDirectory(prefix='semibench-ort-') as tmp:
        argv = [node, str(ORT_FEED), str(onnx_path), output, str(Path(tmp, 'out.f32'))]
        for name, array in feeds.items():
            kind = 'int64' if array.dtype.kind in 'iu' else 'float32'
            file = Path(tmp, f'{name}.bin')
            np.ascontiguousarray(array, dtype='<i8' if kind == 'int64' else '<f4').tofile(file)
            argv.append(f'{name}:{kind}:{",".join(map(str, array.shape))}:{file}')
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f'onnxruntime-node failed on {onnx_path}:\n{proc.stderr.strip()}')
        dims = json.loads(proc.stdout.strip().splitlines()[-1])['dims']
        return np.fromfile(Path(tmp, 'out.f32'), dtype='<f4').reshape(dims)


def check_graph(tag: str, model: nn.Module, onnx_path: Path, output: str, cases: list[dict[str, torch.Tensor]]) -> float:
    """Max |onnxruntime - torch| over the cases (each a dict of named inputs, in the graph's input order)."""
    worst = 0.0
    with torch.no_grad():
        for feeds in cases:
            expected = model(*feeds.values()).numpy()
            got = run_feed(onnx_path, output, {k: v.numpy() for k, v in feeds.items()})
            if expected.shape != got.shape:
                raise SystemExit(f'[{tag}] output shape differs: torch {expected.shape} vs onnxruntime {got.shape}')
            diff = float(np.abs(expected - got).max())
            shapes = ' '.join(f'{k}{list(v.shape)}' for k, v in feeds.items())
            log(tag, f'verify {shapes}: max |onnxruntime - torch| = {diff:.2e} (torch output in [{expected.min():.4g}, {expected.max():.4g}])')
            worst = max(worst, diff)
    return worst


def export_checked(tag: str, model: nn.Module, args, cases: list[dict[str, torch.Tensor]], *, output: str,
                   dynamic: dict[str, dict[int, str]]) -> dict:
    """Exports a one-graph metric model (inputs named as the cases' keys), checks it on the cases against PyTorch,
    logs PASS/FAIL and writes --report-json: the report the exporter returns."""
    inputs = list(cases[0].keys())
    report = {'tol': args.tol}
    report['model'] = export_graph(model, tuple(cases[0].values()), args.out, inputs=inputs, output=output, dynamic=dynamic, opset=args.opset)
    report['model']['max_abs_diff'] = check_graph(tag, model, args.out, output, cases)
    report['passed'] = report['model']['max_abs_diff'] <= args.tol
    log(tag, f'{"PASS" if report["passed"] else "FAIL"}: {report["model"]["max_abs_diff"]:.2e} (tolerance {args.tol:.0e}); '
             f'{args.out}: {report["model"]["bytes"] / 1e6:.1f} MB, sha256 {report["model"]["sha256"]}')
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + '\n')
    return report
