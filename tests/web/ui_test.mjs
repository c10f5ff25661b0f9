// End-to-end test of facet serve's web UI in a real browser: playwright-core driving Debian's
// chromium, headless, with a fresh profile. Starts `facet serve` on a free loopback port. Every
// page is also looked at 1,280 and 390 px wide: the document may not be wider than the window,
// and a screenshot of each is written to $FACET_UI_SCREENSHOTS (default: a temporary folder).
// Usage: node ui_test.mjs FACET_BINARY MODEL_DIR
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
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
const shots = process.env.FACET_UI_SCREENSHOTS || join(work, 'screenshots');
mkdirSync(shots, { recursive: true });
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
    page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click(),
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

// A flat grey 64x48 BMP: an image without a face.
function greyBmp(path) {
  const w = 64, h = 48, row = w * 3, size = 54 + row * h;
  const b = Buffer.alloc(size, 127);
  b.write('BM', 0);
  b.writeUInt32LE(size, 2); b.writeUInt32LE(0, 6); b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14); b.writeInt32LE(w, 18); b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26); b.writeUInt16LE(24, 28); b.writeUInt32LE(0, 30);
  b.writeUInt32LE(row * h, 34); b.writeInt32LE(2835, 38); b.writeInt32LE(2835, 42);
  b.writeUInt32LE(0, 46); b.writeUInt32LE(0, 50);
  writeFileSync(path, b);
}

// The page as it is, at 1,280 and at 390 px: no wider than the window (a wide table scrolls in
// its wrapper), and a screenshot of each for a person to look at (docs/ui-*.png).
const WIDTHS = [1280, 390];
async function snap(page, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    // clientWidth: the window less a scroll bar, if any.
    const size = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth,
                                              body: document.body.scrollWidth,
                                              header: document.querySelector('header').offsetWidth,
                                              window: document.documentElement.clientWidth }));
    assert.ok(size.window <= width && size.window > width - 30, JSON.stringify(size));
    assert.ok(size.doc <= size.window && size.body <= size.window,
              `${name} at ${width} px is wider than the window: ${JSON.stringify(size)}`);
    assert.equal(size.header, size.window, `${name} at ${width} px: the header spans the window`);
    // No field sticks out of its form (a long option can widen a grid column past it).
    const sticking = await page.evaluate(() => Array.from(
      document.querySelectorAll('form input, form select, form button'))
      .filter((el) => el.offsetParent !== null &&
              el.getBoundingClientRect().right > el.closest('form').getBoundingClientRect().right + 0.5)
      .map((el) => el.id || el.textContent));
    assert.deepEqual(sticking, [], `${name} at ${width} px: fields wider than their form`);
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// The status line as shown: its text and its kind (ok, warn, error).
async function statusOf(page) {
  return page.locator('#status').evaluate((el) => ({ text: el.textContent, kind: el.className }));
}

try {
  execFileSync(facet, ['init', '--store', store, '--key-file', masterKey], { stdio: 'ignore' });
  const key = addKey('ui', 'all');
  const detectOnly = addKey('ui-detect', 'detect');
  const door = addKey('ui-door', 'detect,identify');
  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
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
  const notImage = join(work, 'not-an-image.jpg');
  writeFileSync(notImage, 'hello, I am not an image');
  const noFace = join(work, 'grey.bmp');
  greyBmp(noFace);

  await step('home: a wrong key is reported with the server\'s message and code', async () => {
    await page.goto(base + '/');
    await checkAccessible(page);
    await page.locator('#key').fill('fk_0123456789ab_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByText('(Unauthorized): enter a valid key on the Home page').waitFor();
  });

  await step('home: the key from the address fragment is taken and hidden', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(key));
    await page.getByText('Connected: the key works.').waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.match(await page.locator('#models').textContent(), /mobilefacenet/);
    await snap(page, 'home');
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
    await snap(page, 'detect');
  });

  await step('detect: a file that is not an image: the server\'s words, the old result gone', async () => {
    await page.locator('#photo').setInputFiles(notImage);
    await page.getByRole('button', { name: 'Detect' }).click();
    await page.locator('#status.error').waitFor();
    const s = await statusOf(page);
    assert.match(s.text, /\(InvalidImage\)$/, s.text);
    assert.ok(!/browser|^Error/i.test(s.text), s.text);
    assert.ok(await page.locator('#result').isHidden());
  });

  await step('detect: a photo without a face is not shown as a success', async () => {
    await page.locator('#photo').setInputFiles(noFace);
    await page.getByRole('button', { name: 'Detect' }).click();
    await page.locator('#status.warn').waitFor();
    assert.match((await statusOf(page)).text, /No face found/);
    assert.ok(await page.locator('#faces').isHidden());
  });

  await step('redact: options, a summary, the photo ready to download', async () => {
    await follow(page, 'Redact', 'redact.html');
    await checkAccessible(page);
    await page.locator('#photo').setInputFiles(join(samples, 'sample1.jpg'));
    await page.locator('#mode').selectOption('pixelate');
    await page.locator('summary', { hasText: 'More options' }).click();
    await page.locator('#shape').selectOption('box');
    await page.locator('#scale').fill('2');
    await page.locator('#threshold').fill('0.3');
    const sent = page.waitForRequest((r) => r.url().includes('/face/v1.0/redact'));
    await page.getByRole('button', { name: 'Redact' }).click();
    const url = new URL((await sent).url());
    assert.deepEqual(Object.fromEntries(url.searchParams),
                     { mode: 'pixelate', format: 'jpeg', shape: 'box', scale: '2', threshold: '0.3' });
    await page.getByText(/[1-9]\d* faces? redacted\./).waitFor();
    assert.match(await page.locator('#summary').textContent(),
                 /regions? redacted in [\d.]+ s; \d+ × \d+ px, \d+ KiB\./);
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
    await snap(page, 'redact');
    await page.locator('#scale').fill('9');  // out of range: the browser's own check stops it
    await page.getByRole('button', { name: 'Redact' }).click();
    assert.equal(await page.locator('#scale').evaluate((el) => el.validity.valid), false);
  });

  await step('compare: same person, different people, no face (its code, no "Error:")', async () => {
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
    await snap(page, 'compare');
    await page.locator('#photo-b').setInputFiles(noFace);
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#status.error').waitFor();
    assert.equal((await statusOf(page)).text,
                 'no face was found in the second photo (NoFaceDetected)');
    assert.ok(await page.locator('#result').isHidden());
  });

  await step('identify: with no gallery yet, a hint to create one', async () => {
    await follow(page, 'Identify', 'identify.html');
    await checkAccessible(page);
    await page.locator('#no-gallery').waitFor();
    assert.equal(await page.locator('#gallery').isDisabled(), true);
  });

  const persons = async () => page.evaluate(async (k) => {
    const r = await fetch('/face/v1.0/persongroups/office/persons?returnConsents=true',
                          { headers: { 'Ocp-Apim-Subscription-Key': k } });
    return r.json();
  }, key);

  await step('galleries: create, add a person, one consent, enroll checked photos', async () => {
    await follow(page, 'Galleries', 'gallery.html');
    await checkAccessible(page);
    await page.locator('#no-gallery').waitFor();
    await page.locator('#new-gallery').fill('office');
    await page.locator('#new-purpose').fill('door access');
    await page.getByRole('button', { name: 'Create gallery' }).click();
    await page.getByText('Gallery office created.').waitFor();
    await page.locator('#gallery option[value="office"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#gallery').inputValue(), 'office');
    await page.locator('#person').fill('alice');
    await page.locator('#display-name').fill('Alice Example');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByText('alice added to office.').waitFor();
    // No consent yet: photos can be checked but not enrolled.
    await page.locator('#photos').setInputFiles(join(samples, 'sample3.jpg'));
    await page.locator('#checks li', { hasText: 'will be enrolled' }).waitFor();
    assert.equal(await page.locator('#enroll').isDisabled(), true);
    assert.match(await page.locator('#person-summary').textContent(), /No valid consent/);
    await page.locator('#granted-by').fill('alice');
    await page.locator('#consent-purpose').fill('door access');
    await page.locator('#evidence').fill('sha256:0123');
    await page.getByRole('button', { name: 'Record consent' }).click();
    await page.getByText(/Consent \d+ recorded for alice/).waitFor();
    // Two photos and a file that is not one: each checked, only the photos enrolled.
    await page.locator('#photos').setInputFiles([join(samples, 'sample3.jpg'), notImage,
                                                 join(samples, 'sample5.jpg')]);
    await page.locator('#checks li.error', { hasText: 'InvalidImage' }).waitFor();
    await page.getByRole('button', { name: 'Enroll 2 photos' }).waitFor();
    await page.getByRole('button', { name: 'Enroll 2 photos' }).click();
    await page.getByText('2 photos enrolled for alice.').waitFor();
    const list = await persons();
    assert.equal(list.length, 1);
    assert.equal(list[0].faceCount, 2);
    assert.equal(list[0].consents.length, 1, 'one consent, recorded once');
    const row = await page.locator('#galleries tbody tr').first().locator('td').allTextContents();
    assert.deepEqual([row[0], row[3], row[4]], ['office', '1', '2']);
    await snap(page, 'galleries');
  });

  await step('identify: the gallery picked from a list, names beside the boxes', async () => {
    await follow(page, 'Identify', 'identify.html');
    // The picker is filled from GET /persongroups after the page loads: wait for it.
    await page.locator('#gallery option[value="office"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#gallery').inputValue(), 'office');
    await page.locator('#purpose').fill('ui test');
    await page.locator('#photo').setInputFiles(join(samples, 'sample3.jpg'));
    await page.getByRole('button', { name: 'Identify' }).click();
    await page.getByText(/faces, 1 identified\./).waitFor();
    const decisions = await page.locator('#faces tbody tr td:nth-child(2)').allTextContents();
    assert.ok(decisions.length >= 2, decisions.join());
    assert.equal(decisions[0], 'Alice Example (alice)');
    for (const d of decisions.slice(1)) assert.equal(d, 'unknown');
    // The name's band is drawn in the known colour beside alice's box.
    const green = await page.evaluate(() => {
      const c = document.getElementById('canvas');
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] === 0x1a && data[i + 1] === 0x7f && data[i + 2] === 0x37) n++;
      }
      return n;
    });
    assert.ok(green > 2000, `a filled name band: ${green} green pixels`);
    await snap(page, 'identify');
    // A failed run leaves no old result on screen.
    await page.locator('#photo').setInputFiles(notImage);
    await page.getByRole('button', { name: 'Identify' }).click();
    await page.locator('#status.error').waitFor();
    assert.ok(await page.locator('#result').isHidden());
  });

  await step('identify: a key that may not list galleries types the name, ids stand for names', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(door));
    await page.getByText('Connected: the key works.').waitFor();
    await page.goto(base + '/identify.html');
    await page.getByText('This key may not list the galleries').waitFor();
    await checkAccessible(page);
    await page.locator('#gallery').fill('office');
    await page.locator('#purpose').fill('door test');
    await page.locator('#photo').setInputFiles(join(samples, 'sample3.jpg'));
    await page.getByRole('button', { name: 'Identify' }).click();
    await page.getByText(/faces, 1 identified\./).waitFor();
    assert.equal(await page.locator('#faces tbody tr td:nth-child(2)').first().textContent(), 'alice');
    await page.goto(base + '/#key=' + encodeURIComponent(key));
    await page.getByText('Connected: the key works.').waitFor();
  });

  await step('galleries: export, revoke (templates destroyed), erase after a confirmation', async () => {
    await follow(page, 'Galleries', 'gallery.html');
    await page.getByRole('button', { name: 'Manage alice' }).click();
    await page.locator('#export-purpose').fill('access request');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download everything/ }).click();
    const exported = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
    assert.equal(exported.person.display_name, 'Alice Example');
    assert.equal(exported.faces.length, 2);
    await page.getByRole('button', { name: /^Revoke consent/ }).click();
    assert.match(await page.locator('#confirm-text').textContent(), /last valid consent.*2 face templates are destroyed/);
    await page.locator('#confirm-ok').click();
    await page.getByText(/revoked; the face templates were destroyed\./).waitFor();
    assert.equal((await persons())[0].faceCount, 0);
    await snap(page, 'person');
    await page.getByRole('button', { name: 'Erase this person' }).click();
    assert.match(await page.locator('#confirm-text').textContent(), /destroys alice's data key/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await persons()).length, 1, 'cancel keeps the person');
    await page.getByRole('button', { name: 'Erase this person' }).click();
    await page.locator('#confirm-ok').click();
    await page.getByText('alice erased.').waitFor();
    assert.equal((await persons()).length, 0);
  });

  await step('audit: opens on the newest entries, readable details, filters, verify', async () => {
    await follow(page, 'Audit', 'audit.html');
    await checkAccessible(page);
    await page.getByText(/entries shown, newest first/).waitFor();
    const rows = async () => page.locator('#entries tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
    const all = await rows();
    const seqs = all.map((r) => Number(r[0]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    assert.equal(all[0][3], 'person_erase');
    assert.ok(!all.some((r) => r[6].includes('{')), 'details as key: value');
    assert.ok(all.some((r) => /: /.test(r[6])), 'details as key: value');
    assert.ok(!JSON.stringify(all).includes('Alice Example'));
    await page.locator('#action').selectOption('identify');
    await page.locator('#gallery').selectOption('office');
    await page.locator('#actor').fill('ui');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText(/^1 entry shown/).waitFor();
    const identify = await rows();
    assert.deepEqual([identify[0][2], identify[0][3], identify[0][4], identify[0][5]],
                     ['ui', 'identify', 'office', 'ui test']);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/intact/).waitFor();
    await page.locator('#action').selectOption('');
    await page.locator('#actor').fill('');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText(/entries shown, newest first/).waitFor();
    await snap(page, 'audit');
  });

  await step('galleries: delete a gallery after a confirmation that says what goes', async () => {
    await follow(page, 'Galleries', 'gallery.html');
    await page.getByRole('button', { name: 'Delete office' }).click();
    assert.match(await page.locator('#confirm-text').textContent(), /Every person in it is erased/);
    await page.locator('#confirm-ok').click();
    await page.getByText('Gallery office deleted.').waitFor();
    await page.locator('#no-gallery').waitFor();
  });

  await step('compare: a key without the verify scope is told so', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(detectOnly));
    await page.getByText('Connected: the key works.').waitFor();
    await page.goto(base + '/compare.html');
    await page.locator('#photo-a').setInputFiles(join(samples, 'sample2.jpg'));
    await page.locator('#photo-b').setInputFiles(join(samples, 'sample2.jpg'));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByText("this API key lacks the 'verify' scope (PermissionDenied)").waitFor();
  });

  await step('layout: every page, as opened, fits 1,280 and 390 px', async () => {
    await page.goto(base + '/#key=' + encodeURIComponent(key));
    await page.getByText('Connected: the key works.').waitFor();
    for (const file of ['index', 'detect', 'compare', 'gallery', 'identify', 'redact', 'audit']) {
      await page.goto(`${base}/${file}.html`);
      await page.waitForLoadState('networkidle');
      await snap(page, `${file}-empty`);
    }
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
