// The web page as a person uses it: Debian's chromium (headless, driven by playwright-core,
// never a downloaded browser) against a real `office serve` on loopback, with a real
// workbook from the repo's fixtures, real jobs run by the real sandbox, and the
// downloaded result read back with openpyxl. Screenshots go to target/web-test/.
//
// Run: `make test-web` (builds the binary, `npm ci`, then `node --test` here).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const OUT = resolve(process.env.WEB_TEST_OUT || join(repo, 'target/web-test'));
const BIN = resolve(process.env.OFFICE_BIN || join(repo, 'target/debug/office'));
const PYTHON = process.env.OFFICE_PYTHON || join(repo, '.venv/bin/python');
const BROWSER = process.env.CHROMIUM || '/usr/bin/chromium';
const WORKBOOK = join(repo, 'tests/fixtures/real/calamine/table-multiple.xlsx');
// The analytics planner reads the column name "Quantity" as the statistic "quantile":
// the charts are drawn from another real file.
const WEATHER = join(repo, 'tests/fixtures/real/vega/seattle-weather.csv');
const JOB_TIMEOUT = 120_000;

const servers = [];
let browser;
let open; // the server without keys
let locked; // the server with OFFICE_API_KEYS

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** A real `office serve` on a free loopback port, with its own data folder. */
async function startServer(extraEnv = {}) {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'office-web-'));
  const log = [];
  const child = spawn(BIN, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, DATA_DIR: data, OFFICE_PYTHON: PYTHON, OFFICE_LOG: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const server = { url: `http://127.0.0.1:${port}`, child, data, log };
  servers.push(server);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`office serve exited: ${log.join('')}`);
    try {
      const health = await (await fetch(`${server.url}/api/health`)).json();
      if (health.status === 'ok') return server;
      if (health.status === 'degraded') throw new Error(`the server is degraded: ${JSON.stringify(health)}`);
    } catch (e) {
      if (String(e.message).includes('degraded')) throw e;
    }
    if (Date.now() > deadline) throw new Error(`office serve did not start: ${log.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.problems = problems;
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, name), fullPage: true });
}

/** Submits a job from the new-job form and waits until the page shows its final status. */
async function runJob(page, { kind = 'excel', files = [WORKBOOK], prompt, status = 'succeeded' }) {
  await page.locator(`input[name=kind][value=${kind}]`).check();
  await page.setInputFiles('#files', files);
  await page.fill('#prompt', prompt);
  // The address names the new job (not the one shown before).
  const before = page.url();
  await page.click('#submit');
  await page.waitForURL((url) => url.href !== before && /#job\//.test(url.href));
  await page.locator('#job .meta .badge', { hasText: status }).waitFor({ timeout: JOB_TIMEOUT });
  // The result is drawn once the final job is read back.
  await page.locator('#job .result > *').first().waitFor({ timeout: JOB_TIMEOUT });
  const id = page.url().split('/').pop();
  return id;
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: build it first (cargo build -p office-http --bin office)`);
  assert.ok(existsSync(BROWSER), `${BROWSER} is missing: apt-get install chromium`);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  [open, locked] = await Promise.all([startServer(), startServer({ OFFICE_API_KEYS: 'web-test-key' })]);
  browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  if (browser) await browser.close();
  for (const s of servers) {
    s.child.kill('SIGTERM');
    rmSync(s.data, { recursive: true, force: true });
  }
});

test('the page and its files come from the binary, and the examples are hints', async () => {
  const page = await newPage();
  await page.goto(open.url);
  await assert.doesNotReject(page.locator('h1', { hasText: 'office' }).waitFor());
  const chips = page.locator('#examples .chip');
  await chips.first().waitFor();
  assert.ok(await chips.count() >= 3, 'excel examples are shown');
  await chips.first().click();
  assert.equal(await page.inputValue('#prompt'), await chips.first().textContent());
  await page.locator('input[name=kind][value=analytics]').check();
  await page.locator('#examples .chip', { hasText: 'correlations' }).waitFor();
  await page.locator('input[name=kind][value=report]').check();
  assert.equal(await page.locator('#report-fields').isVisible(), true);
  assert.equal(await page.locator('#files').getAttribute('multiple'), '');
  await shot(page, 'new-job.png');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

let excelJob;

test('an excel job runs to the end: live stages, steps, change log, the sheet with changed cells, code, download', async () => {
  const page = await newPage();
  await page.goto(open.url);
  const prompt = 'sort by Quantity descending, then add column Double = Quantity * 2';
  excelJob = await runJob(page, { prompt });
  // Every stage was reached, as the event stream said.
  for (const stage of ['profile', 'plan', 'validate', 'execute', 'collect']) {
    assert.equal(await page.getAttribute(`.stages li[data-stage=${stage}]`, 'data-state'), 'done', stage);
  }
  const events = await page.locator('.log li').allTextContents();
  assert.ok(events.some((e) => e.includes('stage execute')), `events: ${events}`);
  assert.ok(events.some((e) => e.includes('succeeded')), `events: ${events}`);
  // Steps and the change log, in the engine's words.
  const steps = await page.locator('.steps li').allTextContents();
  assert.ok(steps.some((s) => /sort/i.test(s)) && steps.some((s) => /Double/.test(s)), `steps: ${steps}`);
  const changes = await page.locator('.changes li').allTextContents();
  assert.ok(changes.some((c) => /Double/.test(c)), `changes: ${changes}`);
  // The output sheet: sorted, the new column marked as changed.
  const table = page.locator('table.sheet').first();
  await table.locator('tbody tr').first().waitFor();
  const header = await table.locator('tbody tr').first().locator('td').allTextContents();
  assert.deepEqual(header, ['Item', 'Type', 'Quantity', 'changed: Double']);
  const quantities = await table.locator('tbody tr td:nth-child(4)').allTextContents();
  const numbers = quantities.slice(1).map(Number);
  assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), 'sorted by Quantity, highest first');
  const changed = table.locator('td.changed');
  assert.equal(await changed.count(), 5, 'the Double column (header and 4 rows) is marked');
  // Other sheets are a click away.
  await page.locator('.sheet-tabs button', { hasText: 'Sheet2' }).click();
  await page.locator('table.sheet caption', { hasText: 'Sheet2' }).waitFor();
  assert.ok((await page.locator('table.sheet tbody').first().textContent()).includes('Price'));
  await page.locator('.sheet-tabs button', { hasText: 'Sheet1' }).click();
  await page.locator('table.sheet caption', { hasText: 'Sheet1' }).waitFor();
  // The code, highlighted.
  await page.locator('.code-part summary').click();
  await page.locator('pre.code .tok-keyword').first().waitFor();
  assert.ok(await page.locator('pre.code .tok-string').count() > 0);
  await shot(page, 'excel-result.png');
  // The download is the real workbook: read back with openpyxl.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-result')]);
  assert.equal(download.suggestedFilename(), 'table-multiple_result.xlsx');
  const saved = join(OUT, 'downloaded-result.xlsx');
  await download.saveAs(saved);
  const cells = JSON.parse(execFileSync(PYTHON, ['-c', `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Sheet1"]
print(json.dumps([[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=4)]))
`, saved]).toString());
  assert.equal(cells[0][3], 'Double');
  const rows = cells.slice(1).filter((r) => r[2] !== null);
  assert.deepEqual(rows.map((r) => r[2]), [...rows.map((r) => r[2])].sort((a, b) => b - a));
  for (const r of rows) {
    // A formula or its value: either way twice the quantity.
    assert.ok(r[3] === r[2] * 2 || (typeof r[3] === 'string' && /^=C\d+\*2$/.test(r[3])), `row ${JSON.stringify(r)}`);
  }
  // Each artifact has its own download button.
  const names = await page.locator('.artifact-name').allTextContents();
  assert.ok(names.includes('generated.py') && names.includes('summary.json'), `artifacts: ${names}`);
  const [code] = await Promise.all([page.waitForEvent('download'), page.click('button[aria-label="Download generated.py"]')]);
  assert.equal(code.suggestedFilename(), 'generated.py');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an analytics job shows its chart', async () => {
  const page = await newPage();
  await page.goto(open.url);
  await runJob(page, { kind: 'analytics', files: [WEATHER], prompt: 'average temp_max by weather' });
  const chart = page.locator('img.chart').first();
  await chart.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('img.chart');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 });
  const width = await chart.evaluate((img) => img.naturalWidth);
  assert.ok(width >= 400, `the chart is a real picture (${width} px wide)`);
  const answer = await page.locator('table.answer').textContent();
  assert.ok(answer.includes('sun') && answer.includes('19.86'), answer);
  await shot(page, 'analytics-chart.png');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a report job shows the report rendered, in a frame where no script runs', async () => {
  const page = await newPage();
  await page.goto(open.url);
  await page.locator('input[name=kind][value=report]').check();
  await page.fill('#title', 'Seattle weather');
  await runJob(page, { kind: 'report', files: [WEATHER], prompt: 'Summarise the weather' });
  const frame = page.locator('iframe.report');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('sandbox'), '', 'scripts, forms and same-origin access are off');
  const heading = page.frameLocator('iframe.report').locator('h1').first();
  await heading.waitFor();
  assert.match(await heading.textContent(), /Seattle weather/);
  const names = await page.locator('.artifact-name').allTextContents();
  for (const name of ['report.md', 'report.html', 'report.docx', 'report.pdf', 'report.xlsx']) assert.ok(names.includes(name), name);
  // The report's own workbook is shown first: its tables, one sheet each (the statistics
  // table of the file, under the file's section).
  await page.locator('table.sheet caption', { hasText: 'seattle-weather' }).waitFor();
  assert.equal(await page.locator('#sheet-file').inputValue(), 'report.xlsx');
  assert.match(await page.locator('table.sheet').first().textContent(), /Median/);
  // The input kept with the job is a table too, paged: 1462 rows, 25 at a time.
  await page.selectOption('#sheet-file', 'inputs/seattle-weather.csv');
  await page.locator('.pager .muted', { hasText: 'Rows 1–25 of 1462' }).waitFor();
  await page.click('.pager button:has-text("Next rows")');
  await page.locator('.pager .muted', { hasText: 'Rows 26–50 of 1462' }).waitFor();
  assert.equal(await page.locator('table.sheet tbody tr th').first().textContent(), '26');
  await page.click('.pager button:has-text("Previous rows")');
  await page.locator('.pager .muted', { hasText: 'Rows 1–25 of 1462' }).waitFor();
  // A frame is painted once it has been in view (the full-page picture alone shows it blank).
  await frame.scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await frame.screenshot({ path: join(OUT, 'report-frame.png') });
  await shot(page, 'report.png');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a report titled in Chinese and Arabic is drawn with the fonts it carries', async () => {
  const page = await newPage();
  await page.goto(open.url);
  await page.locator('input[name=kind][value=report]').check();
  const title = '上半年天气报告 — تقرير الطقس';
  await page.fill('#title', title);
  await runJob(page, { kind: 'report', files: [WEATHER], prompt: 'Summarise the weather' });
  const frame = page.locator('iframe.report');
  await frame.waitFor();
  const heading = page.frameLocator('iframe.report').locator('h1').first();
  await heading.waitFor();
  assert.equal((await heading.textContent()).trim(), title);
  await page.frameLocator('iframe.report').locator('body').evaluate(() => document.fonts.ready);
  // Which fonts the browser really drew the heading with (DevTools protocol): only the
  // report's own @font-face subsets, the CJK one for the Chinese, none from the system.
  // The sandboxed frame may run in a process of its own (then it has its own session).
  const reportFrame = page.frames().find((f) => f.parentFrame() === page.mainFrame() && f.url() === 'about:srcdoc');
  assert.ok(reportFrame, 'the report frame');
  let cdp;
  let own = true;
  try {
    cdp = await page.context().newCDPSession(reportFrame);
  } catch {
    cdp = await page.context().newCDPSession(page);
    own = false;
  }
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  let doc = root;
  if (!own) {
    const frames = [];
    const walk = (node) => {
      if (node.nodeName === 'IFRAME' && node.contentDocument) frames.push(node.contentDocument);
      for (const child of node.children || []) walk(child);
    };
    walk(root);
    assert.ok(frames.length > 0, 'the report frame\'s document');
    doc = frames[0];
  }
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: doc.nodeId, selector: 'h1' });
  assert.ok(nodeId, 'the heading in the frame');
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  const byName = Object.fromEntries(fonts.map((f) => [f.familyName, f]));
  assert.ok(byName['Office Sans CJK']?.isCustomFont, JSON.stringify(fonts));
  assert.equal(byName['Office Sans CJK'].glyphCount, [...'上半年天气报告'].length, JSON.stringify(fonts));
  assert.ok(byName['Office Sans']?.isCustomFont, JSON.stringify(fonts));
  assert.deepEqual(fonts.filter((f) => !f.isCustomFont), [], 'no system font');
  await frame.scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await frame.screenshot({ path: join(OUT, 'report-frame-cjk-arabic.png') });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a failed job shows the server\'s sentence, and so does a refused upload', async () => {
  const page = await newPage();
  await page.goto(open.url);
  await runJob(page, { prompt: 'sort by colour', status: 'failed' });
  const message = await page.locator('.failure-message').textContent();
  assert.match(message, /could not find a column matching 'colour'/);
  assert.equal(await page.getAttribute('.failure', 'role'), 'alert');
  assert.doesNotMatch(await page.locator('#job').textContent(), /Traceback|panicked|at .*\.rs:/);
  await shot(page, 'failed-job.png');
  // The planner's suggestions go into the form with one click.
  const suggestion = page.locator('.failure .chip').first();
  const text = await suggestion.textContent();
  assert.match(text, /^(sort by|total|describe)/);
  await suggestion.click();
  assert.equal(await page.inputValue('#prompt'), text);
  // A file that is not a workbook: the 400's detail, word for word.
  const bad = join(OUT, 'bad.xlsx');
  writeFileSync(bad, 'a,b\n1,2\n');
  await page.setInputFiles('#files', bad);
  await page.fill('#prompt', 'sort by a');
  await page.click('#submit');
  const error = page.locator('#form-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /cannot read 'bad\.xlsx'/);
  await page.context().close();
});

test('history pages through past jobs; delete removes one', async () => {
  const page = await newPage();
  await page.goto(open.url);
  const items = page.locator('#history .history-item');
  await runJob(page, { prompt: 'describe' });
  await runJob(page, { prompt: 'remove duplicates by Type' });
  const id = await runJob(page, { prompt: 'describe' });
  await page.locator(`#history a[href$="${id}"]`).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.click('#job .danger');
  await page.locator('#job').waitFor({ state: 'hidden' });
  const response = await fetch(`${open.url}/api/excel/jobs/${id}`);
  assert.equal(response.status, 404);
  await page.waitForFunction((gone) => !document.querySelector(`#history a[href$="${gone}"]`), id);
  // The list is paged: two at a time here, then the older ones on demand.
  await page.goto(`${open.url}/?history=2`);
  await items.nth(1).waitFor();
  assert.equal(await items.count(), 2);
  const newest = await items.allTextContents();
  await page.click('#history-more');
  const total = (await (await fetch(`${open.url}/api/excel/jobs?limit=1000`)).json()).count;
  assert.ok(total >= 3, `${total} excel jobs`);
  const shown = Math.min(total, 4);
  await page.waitForFunction((n) => document.querySelectorAll('#history .history-item').length === n, shown);
  await page.locator('#history-more').waitFor({ state: total > shown ? 'visible' : 'hidden' });
  const all = await items.allTextContents();
  assert.deepEqual(all.slice(0, 2), newest);
  const links = await page.$$eval('#history a', (as) => as.map((a) => a.getAttribute('href')));
  assert.equal(new Set(links).size, links.length, 'no job twice');
  await page.click('.history .tabs button[data-kind=analytics]');
  await page.waitForFunction(() => [...document.querySelectorAll('#history .history-prompt')].every((e) => e.textContent.includes('temp_max')));
  await page.context().close();
});

test('phone width: one column, nothing wider than the screen', async () => {
  const page = await newPage({ width: 375, height: 812 });
  await page.goto(open.url);
  await page.locator('#examples .chip').first().waitFor();
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(await overflow() <= 375, `page is ${await overflow()} px wide`);
  await shot(page, 'phone-new-job.png');
  await page.goto(`${open.url}/#job/excel/${excelJob}`);
  await page.locator('table.sheet tbody tr').first().waitFor();
  assert.ok(await overflow() <= 375, `result page is ${await overflow()} px wide`);
  const box = await page.locator('#submit').boundingBox();
  assert.ok(box.height >= 40, 'buttons are big enough to tap');
  await shot(page, 'phone-result.png');
  await page.context().close();
});

test('accessible: labels, names, keyboard, contrast', async () => {
  const page = await newPage();
  await page.goto(`${open.url}/#job/excel/${excelJob}`);
  await page.locator('table.sheet tbody tr').first().waitFor();
  const unnamed = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href], img, iframe')) {
      if (el.closest('[hidden]') || el.type === 'hidden') continue;
      const named = el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('title')
        || (el.tagName === 'IMG' ? el.hasAttribute('alt') : el.textContent.trim())
        || (el.type === 'radio' && el.closest('label'));
      if (!named) out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
  assert.deepEqual(unnamed, []);
  // Contrast of every visible text against the background it sits on (WCAG AA, 4.5:1).
  const poor = await page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
      seen.add(el);
      if (!el.checkVisibility() || el.closest('.sr-only, pre.code, button:disabled')) continue;
      const style = getComputedStyle(el);
      const fg = lum(rgb(style.color)); const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) out.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return out;
  });
  assert.deepEqual(poor, []);
  // The keyboard reaches the skip link first, then the form; Enter on a kind works.
  await page.goto(open.url);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.focus('input[name=kind][value=excel]');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.value), 'analytics');
  await page.locator('#examples .chip', { hasText: 'correlations' }).waitFor();
  await page.context().close();
});

test('a server with API keys: the key is asked once and kept for the tab only', async () => {
  const page = await newPage();
  await page.goto(locked.url);
  const dialog = page.locator('#key-dialog');
  await dialog.waitFor({ state: 'visible' });
  await shot(page, 'api-key.png');
  await page.fill('#key', 'web-test-key');
  await page.click('#key-dialog button[value=save]');
  await page.locator('#examples .chip').first().waitFor();
  assert.equal(await page.locator('#history-error').isVisible(), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('office.apiKey')), 'web-test-key');
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  // A job runs with the key, its chart and stream included.
  await runJob(page, { kind: 'analytics', files: [WEATHER], prompt: 'average temp_max by weather' });
  await page.waitForFunction(() => document.querySelector('img.chart')?.naturalWidth > 0, null, { timeout: 30_000 });
  // A new tab (a new browsing context) asks again.
  const other = await newPage();
  await other.goto(locked.url);
  await other.locator('#key-dialog').waitFor({ state: 'visible' });
  await other.context().close();
  await page.context().close();
});

// Needs the follow-ups of the `threads` work (`parent` on create, `thread` on jobs,
// GET /api/threads/{id}).
test('a follow-up under a result works on its output, and the thread lists both', async () => {
  const page = await newPage();
  await page.goto(`${open.url}/#job/excel/${excelJob}`);
  await page.locator('#follow-prompt').waitFor();
  await page.fill('#follow-prompt', 'sort by Double ascending');
  await page.click('.follow-up button[type=submit]');
  await page.waitForURL((url) => !url.href.endsWith(excelJob));
  await page.locator('#job .meta .badge', { hasText: 'succeeded' }).waitFor({ timeout: JOB_TIMEOUT });
  const thread = page.locator('.thread li');
  await page.waitForFunction(() => document.querySelectorAll('.thread li').length >= 2, null, { timeout: 10_000 });
  const texts = await thread.allTextContents();
  assert.ok(texts[0].includes('sort by Quantity descending'), `thread: ${texts}`);
  assert.ok(texts[1].includes('sort by Double ascending'), `thread: ${texts}`);
  const table = page.locator('table.sheet').first();
  await table.locator('tbody tr').nth(1).waitFor();
  const doubles = (await table.locator('tbody tr td:nth-child(5)').allTextContents()).slice(1).map((t) => Number(t.replace('changed: ', '')));
  assert.deepEqual(doubles, [...doubles].sort((a, b) => a - b), 'the parent\'s Double column, now ascending');
  await page.locator('#history .tag', { hasText: 'follow-up' }).first().waitFor();
  await shot(page, 'follow-up-thread.png');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
