import type { UserConfig } from './schema.js';

/*
 * The public entry `semibench/config`: what a bench.config.ts imports. Keep it light (no onnxruntime, sharp or
 * esbuild at import time): the CLI loads it for every command.
 */
export type { BenchConfig, UserConfig } from './schema.js';
export { DEFAULTS } from './defaults.js';
export { SEMITRUTHS_SLICES } from '../slices/semitruths.js';
export { CONFIG_FILE, loadConfig } from './load.js';

/** Types a bench.config.ts; returns its argument unchanged. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
