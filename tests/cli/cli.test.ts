import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../src/detectors/zoo/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { preprocess } from '../../src/image/pipeline.js';
import { runCli, tempDir } from '../helpers.js';

const semibench = runCli;

describe('semibench CLI', () => {
  it('detectors list shows builtins as uncalibrated baselines and zoo weights as missing', async () => {
    const { code, stdout } = await semibench(['detectors', 'list', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout);
    expect(rows.find((r: any) => r.name === 'npr-residual')).toMatchObject({ origin: 'builtin', weights: 'present', score: 'uncalibrated baseline' });
    expect(rows.find((r: any) => r.name === 'universal-fake-detect')).toMatchObject({ origin: 'zoo', weights: 'missing' });
  });

  it('preprocess writes a .npy a NumPy reader accepts', async () => {
    const out = join(tempDir(), 't.npy');
    const image = 'fixtures/evalset/original/images/CelebAHQ/CelebA_20040.jpg';
    const { code, stdout } = await semibench(['preprocess', image, '--detector', 'cnnspot-blur-jpg-0.1', '--protocol', 'semitruths', '--out', out]);
    expect(code, stdout).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const headerLength = bytes.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.subarray(10, 10 + headerLength).toString()).toContain("'shape': (1, 3, 224, 224)");
    const written = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
    const expected = await preprocess(await decodeImage(image), ZOO[0].protocols.semitruths);
    expect(written).toEqual(expected.data);
  });

  it('detectors add scaffolds a valid manifest and test; check then reports the missing weights', async () => {
    const cwd = tempDir();
    const add = await semibench(['detectors', 'add', 'my-det'], cwd);
    expect(add.code, add.stderr).toBe(0);
    expect(existsSync(join(cwd, 'detectors/my-det.json'))).toBe(true);
    expect(readFileSync(join(cwd, 'tests/detectors/user/my-det.test.ts'), 'utf8')).toContain("describe(\"my-det\"");
    const again = await semibench(['detectors', 'add', 'my-det'], cwd);
    expect(again.stderr).toMatch(/exists \(user\)/);
    const check = await semibench(['detectors', 'check', 'my-det', '--image', resolve('fixtures/evalset/original/images/CelebAHQ/CelebA_20040.jpg')], cwd);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(join(cwd, 'models/my-det/my-det.onnx'));
  });

  it('detectors check loads a builtin and prints its score', async () => {
    const { code, stdout } = await semibench(['detectors', 'check', 'npr-residual']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/score {5}P\(fake\) = 0\.\d{6}/);
  });

  it('report --predictions refuses to overwrite the predictions of a semibench run', async () => {
    const out = join(tempDir(), 'run');
    expect((await semibench(['run', '--detector', 'npr-residual', '--out', out])).code).toBe(0);
    const before = readFileSync(join(out, 'predictions.csv'), 'utf8');
    const other = join(tempDir(), 'p.csv');
    writeFileSync(other, 'sample_id,detector,score,label,status\nx,y,0.5,1,ok\n');
    const { code, stderr } = await semibench(['report', out, '--data', 'fixtures/evalset', '--predictions', other]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/holds a semibench run \(run\.json\); importing would replace its predictions\.csv/);
    expect(readFileSync(join(out, 'predictions.csv'), 'utf8')).toBe(before);
  });

  it('an unknown detector name gets a suggestion and a non-zero exit', async () => {
    const { code, stderr } = await semibench(['run', '--detector', 'spectral', '--out', tempDir()]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Did you mean 'spectral-hf'\?/);
  });
});
