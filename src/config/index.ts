import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { DEFAULTS } from './defaults.js';
import type { BenchConfig, UserConfig } from './schema.js';

export type { BenchConfig, UserConfig } from './schema.js';
export { DEFAULTS } from './defaults.js';

/** Types a bench.config.ts; returns its argument unchanged. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

export const CONFIG_FILE = 'bench.config.ts';

/**
 * Loads bench.config.ts (or the given file) over the defaults, then applies CLI overrides. Paths in the
 * config resolve against the config file's folder, so `semibench` works from any directory.
 */
export async function loadConfig(file?: string, overrides: UserConfig = {}): Promise<BenchConfig> {
  const path = resolve(file ?? CONFIG_FILE);
  let fromFile: UserConfig = {};
  if (existsSync(path)) {
    const mod = await import(pathToFileURL(path).href);
    fromFile = (mod.default ?? {}) as UserConfig;
  } else if (file) {
    throw new UserError(`Config file not found: ${path}`, 'E_CONFIG');
  }
  checkKeys(fromFile, path);
  const base = existsSync(path) ? resolve(path, '..') : process.cwd();
  const merged: BenchConfig = { ...DEFAULTS, ...fromFile, ...dropUndefined(overrides) };
  for (const key of ['data', 'modelsDir', 'manifestsDir'] as const) {
    if (!isAbsolute(merged[key])) merged[key] = resolve(base, merged[key]);
  }
  // --out from the CLI is relative to where the user typed it; from the file, relative to the file.
  merged.out = resolve(overrides.out ? process.cwd() : base, merged.out);
  return merged;
}

function checkKeys(config: UserConfig, path: string): void {
  const known = Object.keys(DEFAULTS);
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new UserError(`${path}: ${unknownNameMessage('config key', key, known)}`, 'E_CONFIG');
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
