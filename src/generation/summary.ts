import { isAbsolute, relative } from 'node:path';
import type { MeasureResult } from './measure.js';
import { PROBLEM_KINDS, type ProblemKind } from './problems.js';

/**
 * The human summary of a measure run: what was measured, which learned models ran and which are missing (with
 * the path to put each file at), the problems by kind, and the QC accounting rule by rule.
 */
export function formatMeasureSummary(result: MeasureResult, cwd = process.cwd()): string {
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };
  const lines = [
    `measure: ${result.rows} rows, ${result.pairs} pairs (${result.measured} measured now, ${result.alreadyMeasured} already measured), ${(result.wallMs / 1000).toFixed(1)} s`,
    'learned metrics:',
  ];
  for (const m of result.models) {
    const columns = m.columns.join(', ').padEnd(32);
    if (m.status === 'loaded') lines.push(`  ${columns} ${m.name}: loaded (${m.id}; ${m.verified.startsWith('Not verified') ? 'not verified against the reference' : m.verified})`);
    else if (m.status === 'disabled') lines.push(`  ${columns} ${m.name}: skipped (--no-learned)`);
    else if (m.status === 'failed') lines.push(`  ${columns} ${m.name}: FAILED to load, columns left empty: ${m.reason}`);
    else {
      lines.push(`  ${columns} ${m.name}: model missing, columns left empty. Put:`);
      for (const file of m.missingFiles ?? []) lines.push(`      ${show(file)}`);
      lines.push(`    (${m.weights})`);
    }
  }
  const kinds = Object.entries(result.problems) as [ProblemKind, number][];
  lines.push(kinds.length === 0 ? 'problems: none' : `problems: ${result.rowsWithProblems} rows (see the measure_error column)`);
  for (const [kind, n] of kinds) lines.push(`  ${kind.padEnd(20)} ${String(n).padStart(6)}  ${PROBLEM_KINDS[kind].description}`);

  if (result.archives) {
    const { archives, cacheMiB, passes, failedArchives } = result.archives;
    lines.push(`archives: ${archives.length} read in place (originals held up to ${cacheMiB} MiB at a time)`);
    for (const [archive, n] of Object.entries(passes)) {
      if (n > 1) lines.push(`  ${archive}: its originals held in ${n} parts, the edit archives of its pairs read ${n} times (--archive-cache-mib to hold more)`);
    }
    for (const f of failedArchives) lines.push(`WARNING: ${f.error}: ${f.rows} rows lost a file (measure_error missing_file; the rest of each row still measured)`);
  }
  const { qc } = result;
  lines.push(`QC (${qc.source}):`);
  for (const r of qc.rules) {
    const range = `[${r.min}, ${r.max}]`.padEnd(18);
    const what =
      r.status === 'not applied'
        ? 'not applied (no values)'
        : `applied to ${r.applied}, failed ${r.failed}${r.notApplied ? `; not applied to ${r.notApplied} (no value)` : ''}`;
    lines.push(`  ${r.metric.padEnd(22)} ${range} ${what}`);
  }
  if (qc.measureErrors) lines.push(`  ${'measure_error'.padEnd(22)} ${''.padEnd(18)} failed ${qc.measureErrors} (rows with a problem never pass)`);
  lines.push(`  pass_qc: 1 → ${qc.passQc['1']}, 0 → ${qc.passQc['0']}, empty (no rule could be applied) → ${qc.passQc.empty}`);
  const byRule = Object.entries(qc.removed.byRule).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`);
  if (qc.removed.total > 0) lines.push(`  removed ${qc.removed.total} edits (by rule, an edit failing several counted under each: ${byRule.join(', ')})`);
  for (const r of result.released) {
    const used = r.prefer === 'released' ? `${r.column} = the released ${r.released}` : `${r.column} = semibench's`;
    const line = `${r.column} vs the released ${r.released}: ${r.compared} rows compared`;
    if (r.disagree > 0) {
      lines.push(
        `WARNING: ${line}, ${r.disagree} differ by more than ${r.tolerance.absolute} + ${r.tolerance.relative * 100} % (max ${r.maxAbsDiff.toPrecision(3)}). ` +
          `Both kept: ${used} where the row has it (${r.usesReleased} rows), ${r.column}_measured = semibench's` +
          (r.prefer === 'released' ? '; --prefer-measured to use semibench\'s' : ''),
      );
    } else lines.push(`${line}, all within ${r.tolerance.absolute} + ${r.tolerance.relative * 100} %; ${used} (${r.usesReleased} rows)`);
  }
  const { basis } = result.bins;
  lines.push(`bins over ${basis.rows} rows (pass_qc 1: ${basis.passQc1}, empty: ${basis.passQcEmpty})`);
  lines.push('Wrote:', `  ${show(result.files.table)} (original kept as ${show(result.files.backup)})`, `  ${show(result.files.bins)}`, `  ${show(result.files.summary)}`);
  return lines.join('\n');
}
