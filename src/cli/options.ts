import type { Options } from 'yargs';

/** Flags shared by commands that read bench.config.ts; each overrides the config key of the same name. */
export const configOptions = {
  config: { type: 'string', describe: 'Config file (default: ./bench.config.ts when present)' },
  data: { type: 'string', describe: 'Eval set folder (Evalset layout, extracted or as released in .tar.bz2 archives, or real/ + fake/)' },
  'models-dir': { type: 'string', describe: 'Folder of exported ONNX files' },
  protocol: { type: 'string', describe: 'Preprocessing protocol: native | semitruths | a detector-specific one' },
  threshold: { type: 'string', describe: 'Threshold policy: 0.5 | native | fpr@0.05 | oracle' },
} as const satisfies Record<string, Options>;

/** The flag of commands that write report CSVs (OWASP CSV injection: see docs/reports.md). */
export const csvOutputOptions = {
  'csv-escape-formulas': {
    type: 'boolean',
    default: true,
    describe: "Report CSVs: prefix text cells starting with = + - @ (or tab, CR) with ' so spreadsheets show them, not run them (--no-csv-escape-formulas: as is)",
  },
} as const satisfies Record<string, Options>;
