import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCode } from '../../src/cli/run.js';
import { DEFAULTS } from '../../src/config/index.js';
import { listDetectors } from '../../src/detectors/registry.js';
import { ZOO } from '../../src/detectors/zoo/index.js';
import type { DetectorOutcome, RunResult } from '../../src/runner/run.js';
import { runCli, tempDir } from '../helpers.js';

const IMAGE = resolve('fixtures/evalset/original/images/CelebAHQ/CelebA_20040.jpg');
const temp = tempDir; // removed after the file by tests/setup.ts

const semibench = runCli;

describe('semibench run fails fast, before the first image', () => {
  it.each([
    [['--threshold', '1.5'], /^semibench: --threshold: Invalid threshold policy '1\.5': a fixed threshold must be in \[0, 1\]/],
    [['--threshold', 'fpr@5'], /^semibench: --threshold: Invalid threshold policy 'fpr@5': the FPR must be in \[0, 1\]/],
    [['--protocol', 'semitruth'], /^semibench: Unknown protocol 'semitruth'\. Did you mean 'semitruths'\?/],
  ])('%o is a one-line error with exit 2 and nothing written', async (flags, message) => {
    const out = join(temp(), 'run');
    const { code, stderr } = await semibench(['run', '--detector', 'npr-residual', '--out', out, ...flags]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it.each([['report', 'runs-that-do-not-exist'], ['compare', 'runs-a-missing', 'runs-b-missing']])(
    '%s checks --threshold before reading any run folder',
    async (...command) => {
      const { code, stderr } = await semibench([...command, '--threshold', 'fpr@5']);
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(/^semibench: --threshold: Invalid threshold policy 'fpr@5'/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('a named detector that lacks the protocol is "not run" with the reason, and the exit status is 1', async () => {
    const out = join(temp(), 'run');
    const { code, stdout } = await semibench(['run', '--detector', 'npr-residual', '--protocol', 'native-nocrop', '--out', out]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/npr-residual +not run: .*protocol for detector 'npr-residual' 'native-nocrop'/i);
  });
});

describe('a broken model file fails alone', () => {
  const modelsDir = temp();
  const cnnspot = ZOO.find((m) => m.name === 'cnnspot-blur-jpg-0.1')!;
  const file = join(modelsDir, cnnspot.model.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:0000000000000000000000000000000000000000000000000000000000000000\nsize 99\n');

  it('run --detector all reports it "not run", runs the others, writes the report and exits 1', async () => {
    const out = join(temp(), 'run');
    const { code, stdout, stderr } = await semibench(['run', '--detector', 'all', '--models-dir', modelsDir, '--out', out]);
    expect(code, stderr).toBe(1);
    expect(stdout).toMatch(/cnnspot-blur-jpg-0\.1 +not run: Detector 'cnnspot-blur-jpg-0\.1': .*is a Git LFS pointer, not the model/);
    expect(stdout).toMatch(/npr-residual +ok 64, errors 0/);
    expect(existsSync(join(out, 'summary.md'))).toBe(true);
  });

  it('detectors list marks it broken, with the reason', async () => {
    const { code, stdout } = await semibench(['detectors', 'list', '--json', '--models-dir', modelsDir]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).find((r: { name: string }) => r.name === cnnspot.name)).toMatchObject({ weights: 'broken', problem: expect.stringMatching(/Git LFS pointer/) });
  });

  it('detectors check names it in one line, exit 2', async () => {
    const { code, stderr } = await semibench(['detectors', 'check', cnnspot.name, '--models-dir', modelsDir, '--image', IMAGE]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`semibench: Detector '${cnnspot.name}': ${file} is a Git LFS pointer, not the model: fetch the real file (git lfs pull) or export it again.`);
  });
});

describe('bench.config.ts outside the repository', () => {
  it('loads from a CommonJS project folder (bundled, then imported)', async () => {
    const dir = tempDir('semibench-cjs-');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    writeFileSync(
      join(dir, 'bench.config.ts'),
      `import { defineConfig } from ${JSON.stringify(resolve('src/config/index.js'))};\nexport default defineConfig({ modelsDir: 'my-models' });\n`,
    );
    const { code, stdout, stderr } = await semibench(['detectors', 'list', '--json', '--config', join(dir, 'bench.config.ts')]);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).find((r: { name: string }) => r.name === 'npr').path).toBe(join(dir, 'my-models', 'npr/npr.onnx'));
  });
});

describe('run exit status', () => {
  const outcome = (name: string, extra: Partial<DetectorOutcome> = {}): DetectorOutcome => ({
    name, origin: 'zoo', status: 'ran', calibrated: true, counts: { ok: 64, error: 0, cached: 0, resumed: 0, rescored: {} }, ms: 1, ...extra,
  });
  const result = (...detectors: DetectorOutcome[]): RunResult => ({ outDir: '', predictionsFile: '', runJson: '', samples: 64, detectors, wallMs: 1 });
  const entries = listDetectors({ modelsDir: '/none' });
  const config = (detectors: string[], protocol = 'native') => ({ ...DEFAULTS, detectors, protocol });
  const notRun = (name: string, extra: Partial<DetectorOutcome> = {}) => outcome(name, { status: 'not run', reason: 'x', counts: { ok: 0, error: 0, cached: 0, resumed: 0, rescored: {} }, ...extra });

  it('is 1 when any row failed, even if every detector ran', () => {
    expect(exitCode(result(outcome('npr-residual')), config(['all']), entries)).toBe(0);
    expect(exitCode(result(outcome('npr-residual', { counts: { ok: 63, error: 1, cached: 0, resumed: 0, rescored: {} } })), config(['all']), entries)).toBe(1);
  });

  it('under all, missing weights and a protocol the detector lacks are expected; a broken model is not', () => {
    expect(exitCode(result(outcome('npr-residual'), notRun('npr', { missingWeights: '/none/npr/npr.onnx' })), config(['all']), entries)).toBe(0);
    expect(exitCode(result(outcome('cnnspot-blur-jpg-0.1'), notRun('npr')), config(['all'], 'native-nocrop'), entries)).toBe(0);
    expect(exitCode(result(outcome('npr-residual'), notRun('npr')), config(['all']), entries)).toBe(1);
    expect(exitCode(result(notRun('npr', { missingWeights: '/none/npr/npr.onnx' })), config(['npr']), entries)).toBe(1);
  });
});
