import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { modelBytesProblem, modelPath } from './adapter.js';
import { BUILTIN_DETECTORS } from './builtin/index.js';
import { isHfFolder, manifestFromHfFolder } from './huggingface.js';
import { validateManifest, type DetectorManifest } from './manifest.js';
import { ZOO } from './zoo/index.js';

export type Origin = 'builtin' | 'zoo' | 'user';

export interface RegistryEntry {
  manifest: DetectorManifest;
  origin: Origin;
  /** For user detectors: the JSON manifest or Hugging Face folder it came from. */
  file?: string;
}

export interface RegistryOptions {
  /** Folder that relative model paths resolve against. */
  modelsDir: string;
  /** Folder of user detectors: `*.json` manifests (e.g. from `semibench detectors add`) and Hugging Face model folders. */
  manifestsDir?: string;
}

/** Every known detector: the weight-free builtins, the zoo, then the user's manifests (which may override the zoo). */
export function listDetectors(options: RegistryOptions): RegistryEntry[] {
  const entries = new Map<string, RegistryEntry>();
  for (const b of BUILTIN_DETECTORS) entries.set(b.manifest.name, { manifest: b.manifest, origin: 'builtin' });
  for (const manifest of ZOO) entries.set(manifest.name, { manifest, origin: 'zoo' });
  for (const entry of readUserManifests(options.manifestsDir)) {
    if (entries.get(entry.manifest.name)?.origin === 'builtin') {
      throw new UserError(`${entry.file}: '${entry.manifest.name}' is a builtin detector name; pick another name.`, 'E_MANIFEST');
    }
    entries.set(entry.manifest.name, entry);
  }
  return [...entries.values()];
}

function readUserManifests(dir: string | undefined): RegistryEntry[] {
  if (!dir || !existsSync(dir)) return [];
  const names = readdirSync(dir).sort();
  const hfFolders = names
    .map((f) => join(dir, f))
    .filter(isHfFolder)
    .map((folder) => ({ manifest: manifestFromHfFolder(folder), origin: 'user' as const, file: folder }));
  const manifests = names
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = join(dir, f);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, 'E_MANIFEST');
      }
      return { manifest: validateManifest(raw, file), origin: 'user' as const, file };
    });
  return [...manifests, ...hfFolders];
}

/** `hf:PATH` names a Hugging Face model folder directly. */
export const HF_PREFIX = 'hf:';

/** Whether the model file of an entry is on disk (builtins always are). */
export function weightsPresent(entry: RegistryEntry, modelsDir: string): boolean {
  const path = modelPath(entry.manifest, modelsDir);
  return path === undefined || existsSync(path);
}

/** What is wrong with a model file that is on disk but cannot be a model (empty, Git LFS pointer), judged from its first bytes. */
export function weightsProblem(entry: RegistryEntry, modelsDir: string): string | undefined {
  const path = modelPath(entry.manifest, modelsDir);
  if (path === undefined || !existsSync(path)) return undefined;
  const head = Buffer.alloc(64);
  const fd = openSync(path, 'r');
  try {
    return modelBytesProblem(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } finally {
    closeSync(fd);
  }
}

/**
 * Resolves detector names from the CLI or config. `all` means every known detector; names that do not exist
 * fail with the nearest match and the list of known names.
 */
export function selectDetectors(names: readonly string[], entries: RegistryEntry[]): RegistryEntry[] {
  if (names.includes('all')) return entries;
  const known = entries.map((e) => e.manifest.name);
  return names.map((name) => {
    if (name.startsWith(HF_PREFIX)) {
      const folder = name.slice(HF_PREFIX.length);
      if (!isHfFolder(folder)) throw new UserError(`${folder} is not a Hugging Face model folder (needs config.json, preprocessor_config.json, onnx/model.onnx).`, 'E_UNKNOWN_DETECTOR');
      return { manifest: manifestFromHfFolder(folder), origin: 'user' as const, file: folder };
    }
    const entry = entries.find((e) => e.manifest.name === name);
    if (!entry) throw new UserError(unknownNameMessage('detector', name, ['all', ...known]), 'E_UNKNOWN_DETECTOR');
    return entry;
  });
}

/**
 * Checks what a run needs from the registry before the first image: the detector names, and that the protocol
 * is one some detector defines (a typo fails here, with the nearest name). A selected detector that lacks a
 * known protocol is not an error here: it is reported "not run" with the reason, and the others run.
 */
export function validateRunPlan(config: { detectors: readonly string[]; protocol: string } & RegistryOptions): RegistryEntry[] {
  const entries = listDetectors(config);
  const selected = selectDetectors(config.detectors, entries);
  const known = [...new Set([...entries, ...selected].flatMap((e) => Object.keys(e.manifest.protocols)))];
  if (!known.includes(config.protocol)) throw new UserError(unknownNameMessage('protocol', config.protocol, known), 'E_USAGE');
  return selected;
}
