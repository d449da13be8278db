#!/usr/bin/env node
// Runs an ONNX graph in onnxruntime-node on named inputs of any element type: the runtime side of the metric-model
// export checks (tools/export/clip_vitb32.py, lpips_squeeze.py), whose graphs take several inputs or integer ids.
//
// Usage:
//   node tools/export/ort_feed.mjs MODEL.onnx OUTPUT_NAME OUT.f32 NAME:TYPE:DIMS:FILE [NAME:TYPE:DIMS:FILE ...]
//
//   TYPE     float32 or int64; FILE holds raw little-endian values in C order (numpy: x.astype('<f4').tofile)
//   DIMS     the shape, comma-separated, e.g. 1,3,224,224
//
// Checks that the graph's inputs are exactly the names given, writes OUTPUT_NAME as raw float32 and prints one JSON
// line: {"inputs", "outputs", "dims"}.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

function fail(message) {
  process.stderr.write(`ort_feed: ${message}\n`);
  process.exit(2);
}

const [modelPath, outputName, outPath, ...specs] = process.argv.slice(2);
if (!modelPath || !outputName || !outPath || specs.length === 0) fail('usage: ort_feed.mjs MODEL.onnx OUTPUT OUT.f32 NAME:TYPE:DIMS:FILE ...');

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const feeds = {};
for (const spec of specs) {
  const [name, type, dimsText, file] = spec.split(':');
  const dims = dimsText.split(',').map(Number);
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (type === 'float32') feeds[name] = new ort.Tensor('float32', new Float32Array(buffer), dims);
  else if (type === 'int64') feeds[name] = new ort.Tensor('int64', new BigInt64Array(buffer), dims);
  else fail(`unknown TYPE '${type}' (float32 or int64)`);
}
const given = Object.keys(feeds).sort().join(', ');
if (session.inputNames.slice().sort().join(', ') !== given) fail(`graph inputs are [${session.inputNames.join(', ')}], given [${given}]`);
if (!session.outputNames.includes(outputName)) fail(`graph has no output '${outputName}' (outputs: ${session.outputNames.join(', ')})`);
const out = (await session.run(feeds, [outputName]))[outputName];
if (out.type !== 'float32') fail(`output '${outputName}' is ${out.type}, expected float32`);
writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
process.stdout.write(`${JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames, dims: out.dims })}\n`);
