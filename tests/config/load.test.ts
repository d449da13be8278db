import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../../src/config/index.js';
import { tempDir } from '../helpers.js';

/** A folder outside the repository, as a user's project would be; no package.json "type", so CommonJS. */
function project(files: Record<string, string>): string {
  const dir = tempDir('semibench-config-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const CONFIG_ENTRY = resolve('src/config/index.js');

describe('loadConfig bundles bench.config.ts, then imports it', () => {
  it('loads a TypeScript config outside the repo that imports defineConfig and a local module', async () => {
    const dir = project({
      'bench.config.ts': [
        `import { defineConfig } from ${JSON.stringify(CONFIG_ENTRY)};`,
        `import { policy } from './policy.js';`,
        `const size: number = 3;`,
        `export default defineConfig({ data: 'my-evalset', threshold: policy, batchSize: size });`,
      ].join('\n'),
      'policy.ts': `export const policy: string = 'fpr@0.05';`,
    });
    const config = await loadConfig(join(dir, 'bench.config.ts'));
    expect(config).toMatchObject({ data: join(dir, 'my-evalset'), threshold: 'fpr@0.05', batchSize: 3, prefetch: DEFAULTS.prefetch });
    expect(readdirSync(dir).sort()).toEqual(['bench.config.ts', 'package.json', 'policy.ts']); // the bundle is gone
  });

  it('a config that cannot be bundled is a one-line error naming the file', async () => {
    const dir = project({ 'bench.config.ts': `import { nothing } from './missing.js';\nexport default { data: nothing };` });
    await expect(loadConfig(join(dir, 'bench.config.ts'))).rejects.toThrow(/bench\.config\.ts: cannot be bundled: .*missing\.js/);
  });
});

describe('one schema for bench.config.ts and CLI overrides', () => {
  const withConfig = async (body: string, overrides = {}) => {
    const dir = project({ 'bench.config.ts': `export default ${body};` });
    return loadConfig(join(dir, 'bench.config.ts'), overrides);
  };

  it.each([
    ['threshold as a number', `{ threshold: 0.5 }`, /bench\.config\.ts: threshold: must be a string such as '0\.5'.*\(got number 0\.5; write '0\.5'\)/],
    ['batchSize as a string', `{ batchSize: '8' }`, /bench\.config\.ts: batchSize: must be a positive integer \(got string "8"\)/],
    ['a threshold policy out of range', `{ threshold: '1.5' }`, /threshold: Invalid threshold policy '1\.5': a fixed threshold must be in \[0, 1\]/],
    ['detectors as a string', `{ detectors: 'all' }`, /detectors: must be a list of detector names/],
    ['bootstrap without a seed', `{ bootstrap: { resamples: 10 } }`, /bootstrap: must be \{ resamples: positive integer, seed: integer \}/],
    ['an unknown key, with a suggestion', `{ batchsize: 8 }`, /Unknown config key 'batchsize'\. Did you mean 'batchSize'\?/],
    ['an unknown generate method', `{ generate: { methods: ['inpainting', 'lance'] } }`, /bench\.config\.ts: generate: \.methods must be a non-empty list of 'inpainting', 'p2p'/],
    ['generate editModels as a string', `{ generate: { editModels: 'OpenJourney' } }`, /bench\.config\.ts: generate: \.editModels must be a list of model names \(got string "OpenJourney"\)/],
    ['an empty generate edit backend', `{ generate: { edit: '' } }`, /bench\.config\.ts: generate: \.edit must be a non-empty string/],
  ])('rejects %s in the file, naming the key', async (_, body, message) => {
    await expect(withConfig(body)).rejects.toThrow(message);
  });

  it.each([
    [{ threshold: '1.5' }, /^--threshold: Invalid threshold policy '1\.5': a fixed threshold must be in \[0, 1\]/],
    [{ threshold: 'fpr@5' }, /^--threshold: Invalid threshold policy 'fpr@5': the FPR must be in \[0, 1\]/],
    [{ batchSize: Number.NaN }, /^--batch-size: must be a positive integer \(got number NaN\)/],
    [{ detectors: [''] }, /^--detector: must be a list of detector names/],
  ])('rejects the CLI override %o, naming the flag', async (overrides, message) => {
    await expect(withConfig('{}', overrides)).rejects.toThrow(message);
  });

  it('accepts every default and the values of a valid config', async () => {
    const config = await withConfig(`{ threshold: 'native', batchSize: 2, detectors: ['npr-residual'] }`, { threshold: 'fpr@5%' });
    expect(config).toMatchObject({ threshold: 'fpr@5%', batchSize: 2, detectors: ['npr-residual'] });
  });
});
