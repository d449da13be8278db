import type { Report } from './report.js';

/** report.html for a report. vega and vega-lite are imported here, when a report is written, not at CLI start. */
export async function reportHtml(report: Report): Promise<string> {
  const { htmlFromReport } = await import('./html/index.js');
  return (await htmlFromReport(report)).html;
}
