// End-to-end test of facet serve's web UI in a real browser: playwright-core driving Debian's
// chromium, headless, with a fresh profile. Starts `facet serve` on a free loopback port.
// Usage: node ui_test.mjs FACET_BINARY MODEL_DIR
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [facet, modelDir] = process.argv.slice(2);
if (!facet || !modelDir) {
  console.error('usage: node ui_test.mjs FACET_BINARY MODEL_DIR');
  process.exit(2);
}
const samples = join(modelDir, 'src/@vladmandic/face-api@1.7.15/demo');
const work = mkdtempSync(join(tmpdir(), 'facet-ui-'));
const keys = join(work, 'keys.json');
const store = join(work, 'store.db');
const masterKey = join(work, 'master.key');
const failures = [];
let server;
let context;

function addKey(name, scopes) {
  const out = execFileSync(facet, ['serve', 'keys', 'add', '--keys', keys, '--name', name,
    '--scopes', scopes, '--json']);
  return JSON.parse(out.toString()).key;
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(facet, ['serve', '--port', '0', '--keys', keys, '--models', modelDir,
      '--workers', '1', '--store', store, '--key-file', masterKey],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + text)), 60000);
    server.stderr.on('data', (chunk) => {
      text += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
}

async function step(name, fn) {
  const start = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

// Follows a nav link and waits until the page it leads to has loaded: click() does not wait for
// the navigation, and a check run meanwhile can find no document at all (a slow machine did).
async function follow(page, name, file) {
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/' + file, { waitUntil: 'load' }),
    page.getByRole('link', { name, exact: true }).click(),
  ]);
}

// Basic accessibility every page must have.
async function checkAccessible(page) {
  const report = await page.evaluate(() => {
    const problems = [];
    if (!document.documentElement.lang) problems.push('no lang');
    if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (!el.labels || el.labels.length === 0) problems.push('unlabelled ' + (el.id || el.name));
    }
    for (const el of document.querySelectorAll('canvas, img')) {
      if (!el.getAttribute('aria-label') && !el.getAttribute('alt')) problems.push('no text alternative');
    }
    if (!document.querySelector('[role=status][aria-live]')) problems.push('no live status');
    if (!document.querySelector('main')) problems.push('no main landmark');
    return problems;
  });
  assert.deepEqual(report, []);
}

try {
  execFileSync(facet, ['init', '--store', store, '--key-file', masterKey], { stdio: 'ignore' });
  const key = addKey('ui', 'all');
  const detectOnly = addKey('ui-detect', 'detect');
  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30000);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // Requests the page makes must stay on this server.
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });

  await step('home: a wrong key is reported', async () => {
    await page.goto(base + '/');
    await checkAccessible(page);
    await page.locator('#key').fill('fk_0123456789ab_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByText('The API key is missing or not valid').waitFor();
  });

  await step('home: the key from the address fragment is taken and hidden', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(key));
    await page.getByText('Connected: the key works.').waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.match(await page.locator('#models').textContent(), /mobilefacenet/);
  });

  await step('detect: boxes, landmarks and quality of every face', async () => {
    await follow(page, 'Detect', 'detect.html');
    await checkAccessible(page);
    await page.locator('#photo').setInputFiles(join(samples, 'sample1.jpg'));
    await page.getByRole('button', { name: 'Detect' }).click();
    await page.getByText('3 faces found.').waitFor();
    const rows = page.locator('#faces tbody tr');
    assert.equal(await rows.count(), 3);
    const quality = await rows.locator('td:nth-child(3)').allTextContents();
    for (const q of quality) assert.ok(['low', 'medium', 'high'].includes(q), q);
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('canvas');
      const g = c.getContext('2d');
      // Some pixel of a box outline must carry a quality colour.
      const data = g.getImageData(0, 0, c.width, c.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, gr, b] = [data[i], data[i + 1], data[i + 2]];
        if ((r === 0x1a && gr === 0x7f && b === 0x37) || (r === 0xbf && gr === 0x87 && b === 0x00) ||
            (r === 0xcf && gr === 0x22 && b === 0x2e)) coloured++;
      }
      return { width: c.width, height: c.height, coloured };
    });
    assert.ok(drawn.width > 1000 && drawn.height > 500, JSON.stringify(drawn));
    assert.ok(drawn.coloured > 500, 'boxes drawn: ' + JSON.stringify(drawn));
  });

  await step('detect: a file that is not an image gets a clear error', async () => {
    const bad = join(work, 'not-an-image.jpg');
    writeFileSync(bad, 'hello, I am not an image');
    await page.locator('#photo').setInputFiles(bad);
    await page.getByRole('button', { name: 'Detect' }).click();
    await page.locator('#status.error').waitFor();
    assert.ok(await page.locator('#result').isHidden());
  });

  await step('redact: the photo comes back with its faces redacted, ready to download', async () => {
    await follow(page, 'Redact', 'redact.html');
    await checkAccessible(page);
    await page.locator('#photo').setInputFiles(join(samples, 'sample1.jpg'));
    await page.locator('#mode').selectOption('pixelate');
    await page.getByRole('button', { name: 'Redact' }).click();
    await page.getByText(/[1-9]\d* faces? redacted\./).waitFor();
    const shown = await page.evaluate(() => {
      const img = document.getElementById('redacted');
      return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
               src: img.src, href: document.getElementById('download').href };
    });
    assert.ok(shown.complete && shown.width > 1000 && shown.height > 500, JSON.stringify(shown));
    assert.ok(shown.src.startsWith('blob:') && shown.href === shown.src, JSON.stringify(shown));
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download the redacted photo' }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'redacted.jpg');
    const bytes = readFileSync(await file.path());
    assert.ok(bytes[0] === 0xff && bytes[1] === 0xd8, 'a JPEG');
  });

  await step('compare: same person and different people', async () => {
    await follow(page, 'Compare', 'compare.html');
    await checkAccessible(page);
    await page.locator('#photo-a').setInputFiles(join(samples, 'sample2.jpg'));
    await page.locator('#photo-b').setInputFiles(join(samples, 'sample2.jpg'));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#verdict', { hasText: 'Same person' }).waitFor();
    assert.match(await page.locator('#numbers').textContent(), /Similarity 1\.000|Similarity 0\.99/);
    await page.locator('#photo-b').setInputFiles(join(samples, 'sample5.jpg'));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#verdict', { hasText: 'Different people' }).waitFor();
  });

  await step('galleries: create a gallery, record a consent, enroll', async () => {
    await follow(page, 'Galleries', 'gallery.html');
    await checkAccessible(page);
    await page.locator('#new-gallery').fill('office');
    await page.locator('#new-purpose').fill('door access');
    await page.getByRole('button', { name: 'Create gallery' }).click();
    await page.getByText('Gallery office created.').waitFor();
    assert.equal(await page.locator('#gallery').inputValue(), 'office');
    await page.locator('#person').fill('alice');
    await page.locator('#display-name').fill('Alice Example');
    await page.locator('#granted-by').fill('alice');
    await page.locator('#consent-purpose').fill('door access');
    await page.locator('#evidence').fill('sha256:0123');
    await page.locator('#photo').setInputFiles(join(samples, 'sample3.jpg'));
    await page.getByRole('button', { name: 'Record consent and enroll' }).click();
    await page.getByText(/face enrolled for alice/).waitFor();
    const row = await page.locator('#galleries tbody tr').first().locator('td').allTextContents();
    assert.deepEqual([row[0], row[4], row[5]], ['office', '1', '1']);
  });

  await step('identify: the enrolled person found, strangers unknown', async () => {
    await follow(page, 'Identify', 'identify.html');
    await checkAccessible(page);
    await page.locator('#gallery').fill('office');
    await page.locator('#purpose').fill('ui test');
    await page.locator('#photo').setInputFiles(join(samples, 'sample3.jpg'));
    await page.getByRole('button', { name: 'Identify' }).click();
    await page.getByText(/faces, 1 identified\./).waitFor();
    const decisions = await page.locator('#faces tbody tr td:nth-child(2)').allTextContents();
    assert.ok(decisions.length >= 2, decisions.join());
    assert.equal(decisions[0], 'alice');
    for (const d of decisions.slice(1)) assert.equal(d, 'unknown');
    // Without a purpose the browser's own validation stops the form; the API would say 400.
  });

  await step('audit: the identification is logged with the key name and purpose', async () => {
    await follow(page, 'Audit', 'audit.html');
    await checkAccessible(page);
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText(/entries shown/).waitFor();
    const rows = await page.locator('#entries tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
    assert.ok(rows.some((r) => r[3] === 'identify' && r[2] === 'ui' && r[5] === 'ui test'),
      JSON.stringify(rows));
    assert.ok(!JSON.stringify(rows).includes('Alice Example'));
    await page.getByRole('button', { name: 'Check the chain' }).click();
    await page.getByText(/intact/).waitFor();
  });

  await step('compare: a key without the verify scope is told so', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(detectOnly));
    await page.getByText('Connected: the key works.').waitFor();
    await page.goto(base + '/compare.html');
    await page.locator('#photo-a').setInputFiles(join(samples, 'sample2.jpg'));
    await page.locator('#photo-b').setInputFiles(join(samples, 'sample2.jpg'));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByText('This API key may not do that').waitFor();
  });

  await step('keyboard: the skip link and the form are reachable', async () => {
    await page.goto(base + '/detect.html');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  });

  await step('no console errors (CSP violations included), no foreign requests', async () => {
    // The "not an image" and 401/403 steps log failed fetches as errors: only those may appear.
    const unexpected = consoleErrors.filter((t) => !/status of (400|401|403)/.test(t));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(foreign, []);
  });
} catch (e) {
  failures.push('setup');
  console.log('FAIL setup: ' + (e.stack || e));
} finally {
  if (context) await context.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) {
      failures.push('server exit');
      console.log(`FAIL server exited with ${code} on SIGTERM`);
    }
  }
  rmSync(work, { recursive: true, force: true });
}
console.log(failures.length === 0 ? 'web UI: all steps passed' : `web UI: ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
