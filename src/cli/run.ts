import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { buildReport } from '../reports/report.js';
import { writeRunJson } from '../reports/run-json.js';
import { writeReport } from '../reports/write.js';
import { createProgress } from '../runner/progress.js';
import { runDetectors, type RunResult } from '../runner/run.js';
import { configOptions, csvOutputOptions } from './options.js';

interface RunArgs {
  detector?: string[];
  out?: string;
  config?: string;
  data?: string;
  'models-dir'?: string;
  protocol?: string;
  threshold?: string;
  'batch-size'?: number;
  'csv-escape-formulas'?: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Score every sample with each detector, then write per-slice reports',
  builder: (y) =>
    y
      .options(configOptions)
      .options(csvOutputOptions)
      .option('detector', { type: 'string', array: true, describe: 'Detector name(s), or all' })
      .option('out', { type: 'string', describe: 'Output folder (rerun into the same folder to resume)' })
      .option('batch-size', { type: 'number', describe: 'Images per inference call' })
      .example('$0 run --detector all', 'every known detector on the bundled eval set')
      .example('$0 run --detector npr-residual --data ~/Semi-Truths-Evalset --out runs/npr', 'one detector on a real Evalset'),
  handler: async (args) => {
    const config = await loadConfig(args.config, {
      detectors: args.detector,
      out: args.out,
      data: args.data,
      modelsDir: args['models-dir'],
      protocol: args.protocol,
      threshold: args.threshold,
      batchSize: args['batch-size'],
    });
    const result = await runDetectors(config, createProgress());
    const runJson = writeRunJson(config, result);
    const ran = result.detectors.some((d) => d.status === 'ran' || d.counts.resumed > 0);
    const written = ran ? writeReport(await buildReport({ runDir: config.out, config }), config.out, { escapeFormulas: args['csv-escape-formulas'] }) : undefined;
    if (written) console.log(`\n${written.summary}`);
    printSummary(result, [result.predictionsFile, runJson, ...(written?.files ?? [])]);
    const namedButNotRun = result.detectors.filter((d) => d.status === 'not run' && !config.detectors.includes('all'));
    if (namedButNotRun.length > 0) process.exitCode = 1;
  },
};

function printSummary(result: RunResult, files: string[]): void {
  const lines = [`\n${result.samples} samples, ${(result.wallMs / 1000).toFixed(1)} s`];
  const missing = result.detectors.filter((d) => d.missingWeights !== undefined);
  for (const d of result.detectors) {
    if (missing.length > 1 && missing.includes(d)) continue;
    if (d.status === 'ran') {
      const resumed = d.counts.resumed ? `, ${d.counts.resumed} already done` : '';
      const note = d.calibrated ? '' : '  (uncalibrated baseline: read AUC/AP)';
      lines.push(`  ${d.name.padEnd(30)} ok ${d.counts.ok}, errors ${d.counts.error}${resumed}${note}`);
    } else {
      lines.push(`  ${d.name.padEnd(30)} not run: ${d.reason}`);
    }
  }
  if (missing.length > 1) {
    lines.push(`  not run, weights missing: ${missing.map((d) => d.name).join(', ')}`, '  (paths in run.json and `semibench detectors list`; export them with tools/export, see docs/exporting.md)');
  }
  lines.push('Wrote:', ...files.map((f) => `  ${relative(process.cwd(), f)}`));
  console.log(lines.join('\n'));
}
