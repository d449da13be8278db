import type { Options } from 'yargs';

/** Flags shared by commands that read bench.config.ts; each overrides the config key of the same name. */
export const configOptions = {
  config: { type: 'string', describe: 'Config file (default: ./bench.config.ts when present)' },
  data: { type: 'string', describe: 'Eval set folder (Evalset layout, extracted or as released in .tar.bz2 archives, or real/ + fake/)' },
  'models-dir': { type: 'string', describe: 'Folder of exported ONNX files' },
  protocol: { type: 'string', describe: 'Preprocessing protocol: native | semitruths | a detector-specific one' },
  threshold: { type: 'string', describe: 'Threshold policy: 0.5 | native | fpr@0.05 | oracle' },
} as const satisfies Record<string, Options>;
