import { describe, expect, it } from 'vitest';
import { checkConfig, loadConfig } from '../../src/config/load.js';

describe('config key conditions', () => {
  it('accepts condition specs and defaults to none', async () => {
    expect(() => checkConfig({ conditions: ['jpeg:75', 'resize:0.5+jpeg:75', 'social', 'format:png'] }, 'bench.config.ts')).not.toThrow();
    expect((await loadConfig(undefined, {})).conditions).toEqual([]);
  });

  it('names the key and the bad spec in one line', () => {
    expect(() => checkConfig({ conditions: ['jpeg:75', 'blur:x'] }, 'bench.config.ts')).toThrow("bench.config.ts: conditions: condition 'blur:x': 'blur:x' needs a radius > 0 (Pillow GaussianBlur) (got 'x')");
    expect(() => checkConfig({ conditions: 'jpeg:75' as never }, 'bench.config.ts')).toThrow('conditions: must be a list of condition specs');
    expect(() => checkConfig({ conditions: ['webp:0'] }, 'command line')).toThrow(/^--condition: condition 'webp:0'/);
  });
});
