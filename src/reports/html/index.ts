import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import type { Report } from '../report.js';
import { jsonNumber, resultsDocument } from '../results-json.js';
import { curveInputsFromPredictions, curveInputsFromReport } from './curves.js';
import type { ResultsDoc } from './figures.js';
import { renderHtmlReport, type HtmlReport } from './page.js';

export type { HtmlReport } from './page.js';

/** report.html of a report just computed: from the same document results.json holds, and the ranked scores. */
export function htmlFromReport(report: Report): Promise<HtmlReport> {
  const doc = JSON.parse(JSON.stringify(resultsDocument(report), jsonNumber)) as ResultsDoc;
  return renderHtmlReport(doc, curveInputsFromReport(report));
}

/** report.html of a run folder that already has results.json and predictions.csv (`semibench report RUN --html`). */
export function htmlFromRunFolder(runDir: string): Promise<HtmlReport> {
  const results = join(runDir, 'results.json');
  if (!existsSync(results)) throw new UserError(`${results} does not exist: run \`semibench report ${runDir}\` first (it writes report.html too).`, 'E_USAGE');
  const doc = JSON.parse(readFileSync(results, 'utf8')) as ResultsDoc;
  if (!Array.isArray(doc.rows) || !doc.threshold) throw new UserError(`${results} is not a semibench results.json (no rows or threshold).`, 'E_DATA');
  const predictions = join(runDir, 'predictions.csv');
  return renderHtmlReport(doc, existsSync(predictions) ? curveInputsFromPredictions(predictions) : []);
}
