import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCondition } from '../conditions/spec.js';
import { parseThresholdPolicy } from '../metrics/thresholds.js';
import { errorMessage, UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { DEFAULTS } from './defaults.js';
import { configSchema, type BenchConfig, type UserConfig } from './schema.js';

export const CONFIG_FILE = 'bench.config.ts';

const COMMAND_LINE = 'command line';
/** CLI flags whose name is not the config key in kebab case. */
const FLAG_OF: Partial<Record<keyof BenchConfig, string>> = { detectors: '--detector', conditions: '--condition' };

/**
 * Loads bench.config.ts (or the given file) over the defaults, then applies CLI overrides; every value is
 * checked against the schema before anything runs. Paths in the config resolve against the config file's
 * folder, so `semibench` works from any directory.
 */
export async function loadConfig(file?: string, overrides: UserConfig = {}): Promise<BenchConfig> {
  const path = resolve(file ?? CONFIG_FILE);
  let fromFile: UserConfig = {};
  if (existsSync(path)) fromFile = await importConfigFile(path);
  else if (file) throw new UserError(`Config file not found: ${path}`, 'E_CONFIG');
  checkConfig(fromFile, path);
  const cli = dropUndefined(overrides);
  checkConfig(cli, COMMAND_LINE);
  const base = existsSync(path) ? dirname(path) : process.cwd();
  const merged: BenchConfig = { ...DEFAULTS, ...fromFile, ...cli };
  for (const key of ['data', 'modelsDir', 'manifestsDir'] as const) {
    if (!isAbsolute(merged[key])) merged[key] = resolve(base, merged[key]);
  }
  // --out from the CLI is relative to where the user typed it; from the file, relative to the file.
  merged.out = resolve(overrides.out ? process.cwd() : base, merged.out);
  return merged;
}

/**
 * Imports a config file the way vitest does: esbuild bundles it with its relative imports (TypeScript,
 * whatever the nearest package.json's "type") into one ESM file next to it, packages stay imports, then
 * that file is imported and removed. So a config works outside a `"type": "module"` package. The bundle sits
 * next to the config so its package imports (`semibench/config`) resolve from the config's folder.
 */
async function importConfigFile(path: string): Promise<UserConfig> {
  const { build } = await import('esbuild'); // only when a config file exists: keeps `--help` fast
  let code: string;
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    code = result.outputFiles[0].text;
  } catch (error) {
    throw new UserError(`${path}: cannot be bundled: ${errorMessage(error).replace(/\s+/g, ' ').trim()}`, 'E_CONFIG');
  }
  const bundled = join(dirname(path), `.${basename(path)}.timestamp-${Date.now()}-${process.pid}.mjs`);
  try {
    writeFileSync(bundled, code);
  } catch (error) {
    throw new UserError(`${path}: cannot write its bundle next to it (${errorMessage(error)}); the config folder must be writable.`, 'E_CONFIG');
  }
  try {
    let mod: { default?: unknown };
    try {
      mod = await import(pathToFileURL(bundled).href);
    } catch (error) {
      throw new UserError(`${path}: cannot be loaded: ${errorMessage(error).replace(/\s+/g, ' ').trim()}`, 'E_CONFIG');
    }
    const config = mod.default ?? {};
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new UserError(`${path}: the default export must be a config object (export default defineConfig({ ... }))`, 'E_CONFIG');
    }
    return config as UserConfig;
  } finally {
    rmSync(bundled, { force: true });
  }
}

/** Checks keys and value types against the one schema; the first problem is a one-line error naming the key. */
export function checkConfig(config: UserConfig, source: string): void {
  const schema = configSchema(thresholdProblem, conditionProblem);
  const known = Object.keys(schema);
  for (const [key, value] of Object.entries(config)) {
    if (!known.includes(key)) throw new UserError(`${source}: ${unknownNameMessage('config key', key, known)}`, 'E_CONFIG');
    const problem = schema[key as keyof BenchConfig](value);
    if (problem === undefined) continue;
    const flag = FLAG_OF[key as keyof BenchConfig] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UserError(source === COMMAND_LINE ? `${flag}: ${problem}` : `${source}: ${key}: ${problem}`, 'E_CONFIG');
  }
}

function thresholdProblem(policy: string): string | undefined {
  try {
    parseThresholdPolicy(policy);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function conditionProblem(spec: string): string | undefined {
  try {
    parseCondition(spec);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
