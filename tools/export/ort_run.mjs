#!/usr/bin/env node
// Runs an ONNX model in onnxruntime-node on raw float32 inputs: the runtime side of the export checks
// (there is no onnxruntime for Debian's Python, so tools/export/common.py calls this script).
//
// Usage:
//   node tools/export/ort_run.mjs MODEL.onnx [--threads N] [--output NAME] IN.f32 DIMS OUT.f32 [IN2.f32 DIMS2 OUT2.f32 ...]
//
//   IN.f32   raw little-endian float32, C order (numpy: x.astype('<f4').tofile(path))
//   DIMS     the input shape, comma-separated, e.g. 2,3,224,224
//   OUT.f32  where the output tensor is written, raw little-endian float32
//
// One session serves every (IN, DIMS, OUT) triple. The model's first input is fed; the first output (or --output
// NAME) is written. Prints one JSON line: {"input", "output", "runs": [{"out", "dims", "ms"}]}.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

function fail(message) {
  process.stderr.write(`ort_run: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let threads = 2;
let outputName;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else if (args[i] === '--output') outputName = args[++i];
  else positional.push(args[i]);
}
const [modelPath, ...triples] = positional;
if (!modelPath || triples.length === 0 || triples.length % 3 !== 0) {
  fail('usage: ort_run.mjs MODEL.onnx [--threads N] [--output NAME] IN.f32 DIMS OUT.f32 [...]');
}
if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a positive integer (got ${threads})`);

const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const inputName = session.inputNames[0];
outputName ??= session.outputNames[0];
if (!session.outputNames.includes(outputName)) {
  fail(`model has no output '${outputName}' (outputs: ${session.outputNames.join(', ')})`);
}

const runs = [];
for (let t = 0; t < triples.length; t += 3) {
  const [inPath, dimsText, outPath] = triples.slice(t, t + 3);
  const dims = dimsText.split(',').map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) fail(`bad DIMS '${dimsText}' (want e.g. 1,3,224,224)`);
  const bytes = readFileSync(inPath);
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== count * 4) {
    fail(`${inPath}: ${bytes.byteLength} bytes, but DIMS ${dimsText} needs ${count * 4} (float32)`);
  }
  // Copy into a fresh ArrayBuffer: a Buffer may sit at an offset that is not a multiple of 4.
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const started = performance.now();
  const result = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) }, [outputName]);
  const ms = performance.now() - started;
  const out = result[outputName];
  if (out.type !== 'float32') fail(`output '${outputName}' is ${out.type}, expected float32`);
  writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  runs.push({ out: outPath, dims: out.dims, ms: Math.round(ms * 10) / 10 });
}
process.stdout.write(`${JSON.stringify({ input: inputName, output: outputName, runs })}\n`);
