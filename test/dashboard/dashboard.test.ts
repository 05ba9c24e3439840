/**
 * The dashboard page in a real browser (Debian's Chromium through playwright-core) against a real
 * Node-RED serving it from heartbeat-store: states and colours, filter/sort, live refresh, the
 * detail view with its chart, a hostile stream name, CSV download, the streams file editor, a
 * Home Assistant-style path prefix, a phone viewport and dark mode.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOOR_PASSWORD, XSS_NAME, postHeartbeat, startDashboard, startIngressProxy } from './harness.js';
import type { Dashboard } from './harness.js';
import { cardStates, computed, fitsWidth, inPage, openPage, visibleCards, waitInPage } from './page.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const INGRESS = '/api/hassio_ingress/Tok3n-abc/';

describe('dashboard page in Chromium', { timeout: 240_000 }, () => {
  let dash: Dashboard | undefined;
  let base = '';
  let userDir = '';

  before(async () => {
    dash = await startDashboard(Date.now());
    base = dash.base;
    userDir = dash.userDir;
    await mkdir(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await dash?.stop();
  });

  function need(): Dashboard {
    if (!dash) throw new Error('setup failed');
    return dash;
  }

  it('shows every camera with its state colour, the info panel and a screenshot', async () => {
    const { browser: b } = need();
    const { context, page, problems } = await openPage(b, base);
    try {
      await page.locator('#grid .card').nth(5).waitFor();
      const states = await cardStates(page);
      assert.deepEqual(states.door, { cls: 'state-online', badge: 'online' });
      assert.deepEqual(states.yard, { cls: 'state-offline', badge: 'offline' });
      assert.deepEqual(states.garage, { cls: 'state-degraded', badge: 'degraded' });
      assert.deepEqual(states.lobby, { cls: 'state-unknown', badge: 'unknown' });
      // Colours come from the stylesheet (loaded under the CSP): offline red, online green.
      assert.equal(await computed(page, '.card[data-id=yard]', 'border-left-color'), 'rgb(207, 34, 46)');
      assert.equal(await computed(page, '.card[data-id=door]', 'border-left-color'), 'rgb(26, 127, 55)');
      // Worst first by default.
      assert.deepEqual((await visibleCards(page)).slice(0, 3), ['yard', 'garage', 'lobby']);
      const yardText = await page.locator('.card[data-id=yard]').innerText();
      assert.match(yardText, /refused/, 'the last error is on the card');
      // Uptimes arrive once the server's fleet computation is done (a later poll at the latest).
      await waitInPage(page, "/%/.test(document.querySelector('.card[data-id=door] .facts').textContent)", 20_000);
      assert.match(await page.locator('.card[data-id=door]').innerText(), /Uptime 24 h\s+\d+\.\d+ %\s+Uptime 7 d\s+\d+\.\d+ %/);
      assert.match(await page.locator('#summary').innerText(), /1 offline/);
      // The info panel explains the thresholds with the server's numbers and time zone.
      await page.locator('#info-panel summary').click();
      assert.equal(await page.locator('#failures-to-offline').innerText(), '2');
      assert.equal(await page.locator('#timezone-name').innerText(), 'Europe/Berlin');
      assert.doesNotMatch(await page.content(), new RegExp(DOOR_PASSWORD), 'no password in the page');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('filters and sorts the grid, and refreshes it live without a reload', async () => {
    const { red: r, browser: b } = need();
    const { context, page, problems } = await openPage(b, base);
    try {
      await page.locator('#grid .card').nth(5).waitFor();
      await page.fill('#filter-text', 'door');
      assert.deepEqual(await visibleCards(page), ['door']);
      await page.fill('#filter-text', 'REFUSED');
      assert.deepEqual(await visibleCards(page), ['yard'], 'the filter matches the last error too');
      await page.fill('#filter-text', '');
      await page.selectOption('#filter-state', 'online');
      assert.deepEqual((await visibleCards(page)).sort(), ['door', 'snap', 'xss']);
      await page.selectOption('#filter-state', '');
      await page.selectOption('#sort-key', 'name');
      assert.deepEqual(await visibleCards(page), ['xss', 'yard', 'door', 'garage', 'lobby', 'snap']);
      await page.fill('#filter-text', 'nothing like this');
      assert.equal(await page.locator('#grid-empty').isVisible(), true);
      await page.fill('#filter-text', '');

      // The same card element turns online when a good probe arrives: patched, not re-rendered.
      await inPage(page, "document.querySelector('.card[data-id=lobby]').setAttribute('data-marker', 'kept')");
      await postHeartbeat(r, { id: 'lobby', name: 'Lobby', atMs: Date.now(), state: 'online', changed: true });
      await page.waitForSelector('.card[data-id=lobby].state-online[data-marker=kept]', { timeout: 15_000 });
      assert.match(await page.locator('#refresh-status').innerText(), /Live/);
      assert.equal(await page.locator('#refresh-status').getAttribute('role'), 'status');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('opens the detail view with a latency chart, outages and the last heartbeats', async () => {
    const { browser: b } = need();
    const { context, page, problems } = await openPage(b, base);
    try {
      await page.locator('.card[data-id=door] a').click();
      await waitInPage(page, "document.querySelector('#detail-heading')?.textContent === 'Front door'");
      assert.equal(await inPage(page, 'location.hash'), '#/stream/door');
      // A line with many points, and the 10-minute outage on the timeline and in the table.
      await waitInPage(page, "(document.querySelector('.chart .line-main')?.getAttribute('d') ?? '').split('L').length > 20");
      assert.ok(await page.locator('.chart .fail-marks line').count() >= 1, 'failed probes are marked');
      assert.equal(await page.locator('.timeline .tl-down').count(), 1);
      assert.match(await page.locator('.history table').innerText(), /refused/);
      await waitInPage(page, "document.querySelectorAll('#view-detail tbody tr.ok').length === 20");
      const facts = await page.locator('#view-detail .facts').innerText();
      assert.match(facts, /H264 · 640×480 · 25 fps/);
      assert.match(facts, /Clock skew/);
      assert.match(facts, /rtsp:\/\/admin:\*\*\*@10\.0\.0\.9\/door/, 'the URL is shown with its password redacted');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-detail.png'), fullPage: true });
      // Another range redraws from hour roll-ups (or the raw tail) and marks the button.
      await page.locator('[data-range="7d"]').click();
      assert.equal(await page.locator('[data-range="7d"]').getAttribute('aria-pressed'), 'true');
      assert.match(await page.locator('#view-detail a[download]').getAttribute('href') ?? '', /stream=door/);
      await page.waitForSelector('.chart');
      // The preview of the snapshot camera: one JPEG fetched by the server with the camera's
      // credentials, shown from a blob: URL.
      await page.goto(`${base}#/stream/snap`);
      await waitInPage(page, "document.querySelector('#detail-heading')?.textContent === 'Snapshot'");
      const before = need().camera.hits();
      await page.locator('.preview-button').click();
      await waitInPage(page, "document.querySelector('.preview img')?.complete && document.querySelector('.preview img').naturalWidth === 320", 15_000);
      assert.ok(need().camera.hits() > before, 'the server fetched the camera');
      assert.match(await page.locator('.preview img').getAttribute('src') ?? '', /^blob:/);
      assert.equal(await page.locator('.preview img').getAttribute('alt'), 'Current frame of Snapshot');
      // Back to the grid with the keyboard-reachable link.
      await page.locator('a.back').click();
      await page.waitForSelector('#view-grid:not([hidden])');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('shows a stream named like markup as text: no element, no dialog', async () => {
    const { browser: b } = need();
    const { context, page, dialogs, problems } = await openPage(b, base);
    try {
      await page.locator('.card[data-id=xss]').waitFor();
      assert.equal(await page.locator('.card[data-id=xss] .card-title').innerText(), XSS_NAME);
      await page.locator('.card[data-id=xss] a').click();
      await waitInPage(page, `document.querySelector('#detail-heading')?.textContent === ${JSON.stringify(XSS_NAME)}`);
      await waitInPage(page, "document.querySelectorAll('#view-detail tbody tr.ok').length > 0");
      // Give an injected onerror every chance to fire.
      await page.waitForTimeout(500);
      assert.equal(await inPage(page, "document.querySelectorAll('img[src=x], img[onerror]').length"), 0);
      assert.equal(await inPage(page, "[...document.querySelectorAll('img')].filter((i) => !i.closest('.brand')).length"), 0);
      assert.deepEqual(dialogs, []);
      assert.match(await page.title(), /<img src=x/, 'the title shows the name as text too');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('downloads the CSV export', async () => {
    const { browser: b } = need();
    const { context, page } = await openPage(b, base, { acceptDownloads: true });
    try {
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('#csv-all').click()]);
      const path = await download.path();
      const text = await readFile(path, 'utf8');
      assert.ok(text.startsWith('time,stream_id,stream_name,ok,code'), text.slice(0, 80));
      assert.match(text, /,door,Front door,/);
      assert.match(download.suggestedFilename(), /\.csv$/);
    } finally {
      await context.close();
    }
  });

  it('edits the streams file: masked passwords, inline errors, atomic save, conflict', async () => {
    const { browser: b } = need();
    const file = join(userDir, 'streams.yaml');
    const { context, page, problems } = await openPage(b, `${base}#/editor`);
    try {
      await waitInPage(page, "document.querySelector('#editor-text').value.includes('streams:')");
      const shown = await page.inputValue('#editor-text');
      assert.doesNotMatch(shown, new RegExp(DOOR_PASSWORD));
      assert.match(shown, /\*{8}/);
      assert.ok(await page.locator('#editor-gutter .gutter-line').count() >= shown.split('\n').length - 1, 'line numbers');

      // A bad URL on a known line: Check lists it and marks the line; Save refuses it.
      const lines = shown.split('\n');
      const urlLine = lines.findIndex((l) => l.includes('rtsp://10.0.0.9/yard')) + 1;
      const bad = lines.map((l, i) => (i + 1 === urlLine ? l.replace('rtsp://', 'ftp://') : l)).join('\n');
      await page.fill('#editor-text', bad);
      await page.locator('#editor-check').click();
      await page.locator('#editor-issues .issue.error').first().waitFor();
      const issue = await page.locator('#editor-issues .issue.error').first().innerText();
      assert.match(issue, new RegExp(`Line ${urlLine}: streams\\[1\\]\\.url`));
      assert.equal(await page.locator(`#editor-gutter .gutter-line.error[data-line="${urlLine}"]`).count(), 1);
      const onDisk = await readFile(file, 'utf8');
      await page.locator('#editor-save').click();
      await waitInPage(page, "document.querySelector('#editor-status').dataset.tone === 'error'");
      assert.equal(await readFile(file, 'utf8'), onDisk, 'an invalid file is never written');

      // A good edit: saved, and the real password is still in the file.
      await page.fill('#editor-text', `${shown.trimEnd()}\n  - name: Side gate\n    id: gate\n    url: rtsp://10.0.0.9/gate\n`);
      await page.locator('#editor-save').click();
      await waitInPage(page, "document.querySelector('#editor-status').dataset.tone === 'ok'");
      const saved = await readFile(file, 'utf8');
      assert.match(saved, /name: Side gate/);
      assert.match(saved, new RegExp(`password: "${DOOR_PASSWORD}"`));
      assert.equal(await page.locator('#editor-issues .issue.error').count(), 0);

      // Someone else changes the file: the next save is a conflict, and the file keeps their change.
      await writeFile(file, `${saved}# edited elsewhere\n`);
      await page.fill('#editor-text', `${await page.inputValue('#editor-text')}# mine\n`);
      await page.locator('#editor-save').click();
      await waitInPage(page, "document.querySelector('#editor-status').dataset.tone === 'error'");
      assert.match(await page.locator('#editor-status').innerText(), /changed on disk/);
      assert.match(await readFile(file, 'utf8'), /# edited elsewhere\n$/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('works under a Home Assistant ingress prefix (relative URLs only)', async () => {
    const { red: r, browser: b } = need();
    const proxy = await startIngressProxy(r.url, INGRESS);
    try {
      // Without the trailing slash the server redirects (relative Location) and the page still loads.
      const { context, page, problems } = await openPage(b, `${proxy.url}${INGRESS}streampulse`);
      try {
        await page.locator('#grid .card').nth(5).waitFor();
        assert.equal(new URL(page.url()).pathname, `${INGRESS}streampulse/`);
        await page.locator('.card[data-id=door] a').click();
        await waitInPage(page, "document.querySelector('.chart .line-main') !== null");
        await page.goto(`${proxy.url}${INGRESS}streampulse/#/editor`);
        await waitInPage(page, "document.querySelector('#editor-text').value.includes('streams:')");
        await page.locator('#editor-check').click();
        await waitInPage(page, "document.querySelector('#editor-status').dataset.tone === 'ok'");
        const outside = proxy.paths.filter((p) => !p.startsWith(INGRESS));
        assert.deepEqual(outside, [], 'every request stays under the prefix');
        for (const asset of ['streampulse/ui/app.js', 'streampulse/api/streams', 'streampulse/api/info']) {
          assert.ok(proxy.paths.some((p) => p.startsWith(`${INGRESS}${asset}`)), `${asset} went through the proxy`);
        }
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('fits a phone screen (390×844) without horizontal scrolling', async () => {
    const { browser: b } = need();
    const { context, page, problems } = await openPage(b, base, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      await page.locator('#grid .card').nth(5).waitFor();
      const grid = await fitsWidth(page);
      assert.ok(grid.scroll <= grid.viewport, `grid: ${grid.scroll} > ${grid.viewport}`);
      await page.locator('.card[data-id=door] a').click();
      await waitInPage(page, "document.querySelector('.chart .line-main') !== null");
      await waitInPage(page, "document.querySelectorAll('#view-detail tbody tr.ok').length > 0");
      const detail = await fitsWidth(page);
      assert.ok(detail.scroll <= detail.viewport, `detail: ${detail.scroll} > ${detail.viewport}`);
      await page.goto(`${base}#/editor`);
      await waitInPage(page, "document.querySelector('#editor-text').value.includes('streams:')");
      const editor = await fitsWidth(page);
      assert.ok(editor.scroll <= editor.viewport, `editor: ${editor.scroll} > ${editor.viewport}`);
      await page.goto(base);
      await page.locator('#grid .card').nth(5).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('follows the system colour scheme and toggles dark mode', async () => {
    const { browser: b } = need();
    const light = await openPage(b, base, { colorScheme: 'light' });
    try {
      const { page } = light;
      await page.locator('#grid .card').first().waitFor();
      const toggle = page.locator('#theme-toggle');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      assert.equal(await computed(page, 'body', 'background-color'), 'rgb(245, 246, 248)');
      await toggle.click();
      assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      assert.equal(await computed(page, 'body', 'background-color'), 'rgb(13, 17, 23)');
      // The choice survives a reload, and the keyboard toggles it back.
      await page.reload();
      await page.locator('#grid .card').first().waitFor();
      assert.equal(await computed(page, 'body', 'background-color'), 'rgb(13, 17, 23)');
      await toggle.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
      assert.equal(await computed(page, 'body', 'background-color'), 'rgb(245, 246, 248)');
    } finally {
      await light.context.close();
    }
    const dark = await openPage(b, base, { colorScheme: 'dark' });
    try {
      await dark.page.locator('#grid .card').first().waitFor();
      assert.equal(await computed(dark.page, 'body', 'background-color'), 'rgb(13, 17, 23)');
      assert.equal(await dark.page.locator('#theme-toggle').getAttribute('aria-pressed'), 'true');
    } finally {
      await dark.context.close();
    }
  });
});
