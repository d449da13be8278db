// Screenshot of a run's report.html for the README: node tools/docs/screenshot-report.mjs RUN_DIR OUT.png
// (headless Debian chromium via playwright-core; the top of the page: header and leaderboard).
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [runDir = 'runs/latest', out = 'docs/report-screenshot.png'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  await page.goto(`file://${resolve(runDir, 'report.html')}`);
  await page.screenshot({ path: out, type: 'png' });
} finally {
  await browser.close();
}
