import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../config/index.js';
import { loadDetector, modelPath, scoreProblem, sha256 } from '../detectors/adapter.js';
import { validateManifest } from '../detectors/manifest.js';
import { listDetectors, selectDetectors, weightsPresent, weightsProblem } from '../detectors/registry.js';
import { scaffoldManifest, scaffoldTest } from '../detectors/scaffold.js';
import { decodeImage } from '../image/decode.js';
import { openDataSource } from '../loaders/index.js';
import { UserError } from '../util/errors.js';
import type { AddArgs, CheckArgs, ListArgs } from './detectors.js';

/** `semibench detectors list` (src/cli/detectors.ts: the flags). */
export async function listAction(args: ListArgs): Promise<void> {
  const config = await loadConfig(args.config, { modelsDir: args['models-dir'] });
  const rows = listDetectors(config).map((e) => ({
    name: e.manifest.name,
    origin: e.origin,
    weights: weightsProblem(e, config.modelsDir) ? 'broken' : weightsPresent(e, config.modelsDir) ? 'present' : 'missing',
    problem: weightsProblem(e, config.modelsDir),
    path: modelPath(e.manifest, config.modelsDir) ?? e.manifest.model.path,
    score: e.manifest.provenance.calibrated ? 'probability' : 'uncalibrated baseline',
    protocols: Object.keys(e.manifest.protocols),
    description: e.manifest.description,
  }));
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  for (const r of rows) {
    console.log(`${r.name.padEnd(30)} ${r.origin.padEnd(8)} ${r.weights.padEnd(8)} ${r.score}`);
    console.log(`${''.padEnd(30)} ${r.description}`);
    if (r.weights === 'missing') console.log(`${''.padEnd(30)} weights expected at ${r.path}`);
    if (r.problem) console.log(`${''.padEnd(30)} ${r.path} ${r.problem}`);
  }
}

/** `semibench detectors check` (src/cli/detectors.ts: the flags). */
export async function checkAction(args: CheckArgs): Promise<void> {
  const config = await loadConfig(args.config, { modelsDir: args['models-dir'] });
  const [entry] = selectDetectors([args.name], listDetectors(config));
  const detector = await loadDetector(entry.manifest, { modelsDir: config.modelsDir, protocol: args.protocol ?? config.protocol });
  const image = args.image ?? (await firstImage(config.data));
  const t0 = performance.now();
  const tensor = await detector.prepare(await decodeImage(image));
  const [score] = await detector.score([tensor]);
  const ms = performance.now() - t0;
  await detector.close();
  const m = detector.manifest; // the protocol's view: its own output mapping, if any (semitruths-run1's DE-FAKE)
  const problem = scoreProblem(score, m.output);
  console.log(
    [
      `${m.name} (${entry.origin}${entry.file ? `: ${entry.file}` : ''})`,
      `  model     ${modelPath(m, config.modelsDir) ?? m.model.path}`,
      `  sha256    ${detector.modelSha256}${m.model.sha256 ? ' (matches manifest)' : ' (manifest has none: add it to pin the file)'}`,
      `  input     ${m.model.input} [${detector.inputShape.join(', ')}]   output ${m.model.output} (${m.output.type}${m.output.fakeIndex !== undefined ? `, fake index ${m.output.fakeIndex}` : ''})`,
      `  protocol  ${detector.protocol}: ${detector.ops.map((o) => o.op).join(' → ')} → [${tensor.channels}, ${tensor.height}, ${tensor.width}]`,
      `  image     ${image}`,
      `  score     ${problem ? `unusable: ${problem}` : `P(fake) = ${score.toFixed(6)}`} (${ms.toFixed(1)} ms; native threshold ${m.output.threshold})`,
    ].join('\n'),
  );
  if (problem) process.exitCode = 1;
}

async function firstImage(dataDir: string): Promise<string> {
  for await (const sample of openDataSource(dataDir).samples()) return sample.path;
  throw new UserError(`No images in ${dataDir}; pass --image`, 'E_DATA');
}

/** `semibench detectors add` (src/cli/detectors.ts: the flags). */
export async function addAction(args: AddArgs): Promise<void> {
  const config = await loadConfig(args.config);
  const taken = listDetectors(config).find((e) => e.manifest.name === args.name);
  if (taken && !args.force) throw new UserError(`A detector named '${args.name}' exists (${taken.origin}); pick another name or pass --force.`);
  let model;
  if (args.onnx) {
    if (!existsSync(args.onnx)) throw new UserError(`ONNX file not found: ${args.onnx}`, 'E_WEIGHTS');
    const session = await ort.InferenceSession.create(args.onnx);
    model = { path: relative(config.modelsDir, args.onnx), sha256: sha256(readFileSync(args.onnx)), input: session.inputNames[0], output: session.outputNames[0] };
    await session.release();
  }
  const manifest = validateManifest(scaffoldManifest(args.name, model));
  mkdirSync(config.manifestsDir, { recursive: true });
  const manifestFile = join(config.manifestsDir, `${args.name}.json`);
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  const testFile = join('tests', 'detectors', 'user', `${args.name}.test.ts`);
  mkdirSync(join('tests', 'detectors', 'user'), { recursive: true });
  writeFileSync(testFile, scaffoldTest(args.name, relative(process.cwd(), manifestFile)));
  console.log(
    [
      `Wrote ${relative(process.cwd(), manifestFile)} and ${testFile}.`,
      'Next: set the preprocessing and output to match the detector\'s own test code (docs/adding-a-detector.md),',
      `then: npx semibench detectors check ${args.name}`,
    ].join('\n'),
  );
}
