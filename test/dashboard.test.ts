/**
 * --dashboard in a real headless Chromium (Debian's, driven by playwright-core): the page shows one
 * row per worker with the pool's own pids, its buttons scale and pause the real pool, a page of
 * another origin cannot act on it, a rebound Host is refused, a token guards everything when set
 * (embedding API), and a non-loopback address without a token is refused at start.
 *
 * Chromium comes from Debian's packages: installed with apt-get when missing (as root, which CI
 * is); the tests skip, saying why, only when that is impossible here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Supervisor } from '../dist/index.js';
import { httpRequest } from './http-client.js';
import { fixture, isAlive, killStarted, parentOf, runCli, startCli, tempDir, track, waitFor, type RunningCli } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

let skipReason: string | undefined;
let browser: Browser | undefined;

/** Installs Debian's chromium when missing; sets skipReason when this machine cannot. */
async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  const hasApt = await run('sh', ['-c', 'command -v apt-get']).then(() => true, () => false);
  if (process.getuid?.() !== 0 || !hasApt) {
    skipReason = `no ${CHROMIUM}, and apt-get cannot install it here (needs root and apt-get): apt-get install chromium`;
    return;
  }
  await aptGet(['update', '-qq']);
  await aptGet(['install', '-y', '-qq', 'chromium']);
  assert.ok(existsSync(CHROMIUM), `apt-get installed chromium but there is no ${CHROMIUM}`);
}

/**
 * Runs apt-get, waiting while another apt-get holds its locks: make check runs two test files at
 * once, and the PostgreSQL example's test may be installing its own package (apt's
 * DPkg::Lock::Timeout covers the dpkg lock but not the lists lock of `update`).
 */
async function aptGet(args: string[]): Promise<void> {
  const options = { timeout: 300_000, killSignal: 'SIGKILL' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], options);
      return;
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      if (!/Could not get lock|Unable to lock/.test(stderr) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

before(
  async () => {
    await ensureChromium();
    if (skipReason !== undefined) return;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'], timeout: 60_000 });
  },
  { timeout: 660_000 },
);

after(async () => {
  killStarted();
  await browser?.close();
});

/** A worker card of the page, from its data attributes. */
interface Row {
  readonly id: string;
  readonly pid: string;
  readonly state: string;
  readonly paused: string;
  readonly exitCause?: string;
}

/** The worker cards the page shows now. */
function rows(page: Page): Promise<Row[]> {
  return page.evaluate<Row[]>('[...document.querySelectorAll("#workers .worker")].map((r) => ({ ...r.dataset }))');
}

/** Waits until the page shows `n` rows, every one running (paused or not). */
async function rowsRunning(page: Page, n: number): Promise<Row[]> {
  return waitFor(async () => {
    const shown = await rows(page);
    return shown.length === n && shown.every((r) => r.state === 'running') ? shown : undefined;
  }, 15_000, `the page to show ${n} running workers`);
}

/**
 * Waits until `expression` is true in the page. (Not page.waitForFunction: it evaluates strings
 * with eval inside the page, which the dashboard's CSP rightly forbids.)
 */
function waitInPage(page: Page, expression: string, what: string, ms = 10_000): Promise<unknown> {
  return waitFor(() => page.evaluate<boolean>(expression), ms, what);
}

/** The pool's own view, through its control socket (not through the dashboard). */
async function controlStatus(socket: string): Promise<{ size: number; paused: boolean; workers: Array<{ id: number; pid: number; state: string; paused: boolean }> }> {
  const result = await runCli(['status', '--json', '--control', socket]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Awaited<ReturnType<typeof controlStatus>>;
}

/** Opens a fresh page, failing the test on any script error or console error it reports (a CSP violation included). */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  await page.goto(url, { timeout: 15_000 });
  return { page, problems };
}

/** Serves a blank page on another origin of this machine (another port), as an attacker's site would be. */
async function otherOrigin(): Promise<{ url: string; server: Server }> {
  const server = createServer((_, res) => res.end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

describe('--dashboard in headless Chromium', () => {
  it('shows the workers with their pids; +1 grows the pool, Scale sets it, Pause pauses it', { timeout: 90_000 }, async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const tmp = tempDir();
    const socket = join(tmp.dir, 'sock');
    const cli: RunningCli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1', '--dashboard', '127.0.0.1:0', '--control', socket], {
      env: { TASK_MS: '50' },
    });
    const url = (await cli.waitForLog(/dashboard (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1]!;
    await cli.waitForLog(/master ready/);
    const { page, problems } = await openPage(url);

    // One row per worker, with the pids the pool spawned, children of the master.
    const shown = await rowsRunning(page, 2);
    assert.deepEqual(shown.map((r) => [Number(r.id), Number(r.pid)]), [...cli.workerPids()].sort((a, b) => a[0] - b[0]));
    for (const row of shown) assert.equal(parentOf(Number(row.pid)), cli.pid);
    // The sparkline draws tasks per second once the master's window spans 2 s.
    await waitInPage(page, 'Number(document.querySelector("#rate-spark").dataset.points) >= 2', 'the sparkline to have two points', 45_000);
    assert.match(await page.textContent('#rate') ?? '', /^[1-9][\d.]* tasks\/s$/);

    // +1: a third worker, in the page and in the real pool.
    await page.click('#scale-up');
    const grown = await rowsRunning(page, 3);
    const newPid = Number(grown[2]!.pid);
    track(newPid);
    assert.equal(cli.workerPids().get(2), newPid, 'the page shows the pid the master spawned for id 2');
    assert.ok(isAlive(newPid) && parentOf(newPid) === cli.pid, 'a live worker of this master');
    const afterGrow = await controlStatus(socket);
    assert.equal(afterGrow.size, 3);
    assert.deepEqual(afterGrow.workers.map((w) => w.pid), grown.map((r) => Number(r.pid)));
    await waitInPage(page, 'document.querySelector("#message").textContent === "scale to 3: done"', 'the page to say the scale is done', 10_000);

    // A number and Scale: back to 2; id 2 retires.
    await page.fill('#scale-count', '2');
    await page.click('#scale');
    await rowsRunning(page, 2);
    await waitFor(() => !isAlive(newPid), 45_000, 'worker 2 to exit');
    assert.equal((await controlStatus(socket)).size, 2);

    // Pause: every row paused, the pool paused, and Resume enabled.
    await page.click('#pause');
    await waitInPage(page, 'document.body.dataset.paused === "true" && [...document.querySelectorAll("#workers .worker")].every((r) => r.dataset.paused === "true")', 'every row paused', 15_000);
    const paused = await controlStatus(socket);
    assert.ok(paused.paused && paused.workers.every((w) => w.paused), JSON.stringify(paused));
    assert.equal(await page.isDisabled('#resume'), false);
    assert.equal(await page.isDisabled('#pause'), true);
    await page.click('#resume');
    await waitInPage(page, 'document.body.dataset.paused === "false"', 'the page to show the pool resumed', 10_000);
    assert.equal((await controlStatus(socket)).paused, false);

    // Another origin's page cannot act: a JSON POST dies at the CORS preflight, a "simple" one is refused.
    const elsewhere = await otherOrigin();
    try {
      const attacker = await browser!.newPage();
      await attacker.goto(elsewhere.url);
      const outcome = await attacker.evaluate<string[]>(`(async () => {
        const target = ${JSON.stringify(`${url}api/scale`)};
        const results = [];
        await fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"workers":5}' })
          .then((r) => results.push('json ' + r.status), () => results.push('json blocked'));
        await fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{"workers":5}' })
          .then((r) => results.push('simple ' + r.type), () => results.push('simple blocked'));
        return results;
      })()`);
      assert.equal(outcome[0], 'json blocked');
      await attacker.close();
    } finally {
      elsewhere.server.close();
    }
    await cli.waitForLog(/dashboard: refused scale from \S+: cross-origin request refused \(Origin "http:\/\/127\.0\.0\.1:\d+"\)/);

    // Without the browser: no Origin, a foreign Origin, or the page's Origin with a wrong CSRF token: 403.
    const csrf = await page.getAttribute('meta[name="supervise-csrf"]', 'content');
    assert.match(csrf ?? '', /^[\w-]{40,}$/);
    const origin = url.replace(/\/$/, '');
    const post = (headers: Record<string, string>): Promise<number> =>
      httpRequest(`${url}api/scale`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{"workers":5}' }).then((a) => a.status);
    assert.equal(await post({ 'X-CSRF-Token': csrf! }), 403, 'no Origin');
    assert.equal(await post({ Origin: 'http://evil.example', 'X-CSRF-Token': csrf! }), 403, 'foreign Origin');
    assert.equal(await post({ Origin: origin }), 403, 'no CSRF token');
    assert.equal(await post({ Origin: origin, 'X-CSRF-Token': `${csrf!}x` }), 403, 'wrong CSRF token');
    // A page whose DNS name was rebound to 127.0.0.1 sends its own name as Host: refused, reads too.
    const port = new URL(url).port;
    assert.equal((await httpRequest(`${url}api/status`, { headers: { Host: `rebound.example:${port}` } })).status, 421);
    const final = await controlStatus(socket);
    assert.equal(final.size, 2, 'nothing changed the pool');
    assert.equal(final.workers.length, 2);

    assert.deepEqual(problems, [], 'no script error and no CSP violation on the page');
    await page.close();
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('with a token (embedding API): the page works from ?token=, every request without it gets 401', { timeout: 60_000 }, async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const token = 'dashboard-test-token-0123456789';
    const sv = new Supervisor({ app: fixture('app.cjs'), workers: 2, dashboard: '127.0.0.1:0', dashboardToken: token, quiet: true });
    sv.on('fork', (w) => track(w.pid));
    await sv.start();
    try {
      const url = sv.dashboardUrl!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
      const origin = url.replace(/\/$/, '');

      const unauthorized = await httpRequest(`${url}api/status`);
      assert.equal(unauthorized.status, 401);
      assert.equal(unauthorized.headers['www-authenticate'], 'Bearer realm="supervise"');
      assert.equal((await httpRequest(`${url}api/status`, { headers: { Authorization: `Bearer ${token}x` } })).status, 401);
      const authorized = await httpRequest(`${url}api/status`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(authorized.status, 200);
      assert.equal((JSON.parse(authorized.body) as { size: number }).size, 2);

      const { page, problems } = await openPage(`${url}?token=${token}`);
      const shown = await rowsRunning(page, 2);
      assert.deepEqual(shown.map((r) => Number(r.pid)), sv.workers.map((w) => w.pid));
      assert.equal(page.url(), url, 'the token is taken out of the address bar');
      // The same-origin page with its CSRF token is not enough: the token is.
      const csrf = await page.getAttribute('meta[name="supervise-csrf"]', 'content');
      const noBearer = await httpRequest(`${url}api/scale`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: origin, 'X-CSRF-Token': csrf! }, body: '{"workers":3}' });
      assert.equal(noBearer.status, 401);
      assert.equal(sv.size, 2);
      await page.click('#scale-up');
      await rowsRunning(page, 3);
      assert.equal(sv.size, 3);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await sv.stop();
    }
    assert.equal(sv.dashboardUrl, undefined);
  });
});

/** The card of worker `id` as the page shows it now. */
async function cardOf(page: Page, id: number): Promise<Row | undefined> {
  return (await rows(page)).find((r) => r.id === String(id));
}

/** Waits until the page shows worker `id` running with a pid other than `old`, and returns the card. */
function newPidShown(page: Page, id: number, old: string, what: string): Promise<Row> {
  return waitFor(async () => {
    const card = await cardOf(page, id);
    return card !== undefined && card.pid !== '' && card.pid !== old && card.state === 'running' ? card : undefined;
  }, 30_000, what);
}

/** Per row of cards the page lays out now: how many cards, and whether the page scrolls sideways. */
function layout(page: Page): Promise<{ perRow: number; overflow: boolean; cards: number }> {
  return page.evaluate<{ perRow: number; overflow: boolean; cards: number }>(`(() => {
    const cards = [...document.querySelectorAll('#workers .worker')];
    const top = cards.length ? cards[0].getBoundingClientRect().top : 0;
    return {
      perRow: cards.filter((c) => Math.abs(c.getBoundingClientRect().top - top) < 2).length,
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      cards: cards.length,
    };
  })()`);
}

describe('--dashboard per worker: restart, kill, log tail, memory, last exit', () => {
  it('Restart hands the id to a new pid, Kill SIGKILLs it (respawned, shown as killed), Log follows the file; bad ids are one line', { timeout: 180_000 }, async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const tmp = tempDir();
    const logDir = join(tmp.dir, 'logs');
    const sv = new Supervisor({ app: fixture('chatty.cjs'), workers: 4, poll: 1, dashboard: '127.0.0.1:0', logDir, quiet: true });
    sv.on('fork', (w) => track(w.pid));
    await sv.start();
    try {
      const url = sv.dashboardUrl!;
      const { page, problems } = await openPage(url);
      await page.setViewportSize({ width: 1440, height: 1000 });
      const shown = await rowsRunning(page, 4);
      assert.deepEqual(shown.map((r) => Number(r.pid)), sv.workers.map((w) => w.pid));

      // Log: the tail of worker 1's file, lines its process prints (chatty: "w1 p<pid> n<seq> …").
      const pid1 = shown[1]!.pid;
      await page.click('.worker[data-id="1"] button.log');
      await waitInPage(page, `[...document.querySelectorAll('#log div')].some((d) => d.textContent.startsWith('w1 p${pid1} n'))`, 'the log panel to show a line of worker 1', 45_000);
      assert.equal(await page.textContent('#log-file'), join(logDir, 'worker-1.log'));

      // Restart worker 1: a new pid holds id 1, the old process is gone, its exit was asked for.
      await page.click('.worker[data-id="1"] button.restart');
      const restarted = await newPidShown(page, 1, pid1, 'worker 1 to show a new pid after Restart');
      assert.equal(Number(restarted.pid), sv.workers[1]!.pid, 'the pid the pool holds for id 1');
      assert.equal(parentOf(Number(restarted.pid)), process.pid, 'a child of this master');
      await waitFor(() => !isAlive(Number(pid1)), 45_000, 'the old process of worker 1 to exit');
      await waitInPage(page, 'document.querySelector(\'.worker[data-id="1"]\').dataset.exitCause === "restart"', 'worker 1 to show its last exit as a restart', 10_000);
      assert.match(await page.textContent('.worker[data-id="1"] .exit') ?? '', /^restart code 0 at /);
      assert.equal(await page.getAttribute('.worker[data-id="1"] .exit .tag', 'class'), 'tag clean');
      // A restart answers once the new process is ready, or 202 past 10 s (a loaded machine).
      await waitInPage(page, '/^restart worker 1: (done|under way)$/.test(document.querySelector("#message").textContent)', 'the page to say the restart is done', 45_000);
      // The tail goes on with the new process's lines: same file, same panel.
      await waitInPage(page, `[...document.querySelectorAll('#log div')].some((d) => d.textContent.startsWith('w1 p${restarted.pid} n'))`, 'the log panel to follow the new process of worker 1', 45_000);
      const status = await sv.status();
      assert.equal(status.workers[1]!.lastExit?.cause, 'restart');
      assert.equal(status.workers[1]!.lastExit?.clean, true);

      // Kill worker 2: SIGKILL, respawned as after any crash, shown as killed (not clean).
      const pid2 = shown[2]!.pid;
      await page.click('.worker[data-id="2"] button.kill');
      const respawned = await newPidShown(page, 2, pid2, 'worker 2 to show a new pid after Kill');
      assert.ok(!isAlive(Number(pid2)), 'the killed process is gone');
      assert.equal(Number(respawned.pid), sv.workers[2]!.pid);
      await waitInPage(page, 'document.querySelector(\'.worker[data-id="2"]\').dataset.exitCause === "killed"', 'worker 2 to show its last exit as killed', 10_000);
      assert.match(await page.textContent('.worker[data-id="2"] .exit') ?? '', /^killed SIGKILL at \d/);
      assert.equal(await page.getAttribute('.worker[data-id="2"] .exit .tag', 'class'), 'tag unclean');
      const killed = (await sv.status()).workers[2]!;
      assert.deepEqual([killed.lastExit?.signal, killed.lastExit?.cause, killed.lastExit?.clean, killed.restarts], ['SIGKILL', 'killed', false, 1]);

      // Ids 0 and 3 were not touched.
      const after = await rows(page);
      assert.deepEqual([after[0]!.pid, after[3]!.pid], [shown[0]!.pid, shown[3]!.pid]);

      // The same rules as every action: a GET never acts, a bad id is one line, another origin is refused.
      const csrf = (await page.getAttribute('meta[name="supervise-csrf"]', 'content'))!;
      const origin = url.replace(/\/$/, '');
      const post = (path: string, body: string, headers: Record<string, string> = { Origin: origin, 'X-CSRF-Token': csrf }) =>
        httpRequest(`${url}api/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
      const get = await httpRequest(`${url}api/kill?id=0`);
      assert.deepEqual([get.status, get.headers['allow']], [405, 'POST']);
      const badId = await post('kill', '{"id":9}');
      assert.deepEqual([badId.status, JSON.parse(badId.body).error], [400, 'kill: no worker 9: the ids are 0..3']);
      const notNumber = await post('restart', '{"id":"1"}');
      assert.deepEqual([notNumber.status, JSON.parse(notNumber.body).error], [400, 'restart needs {"id": <a worker id>}, got "1"']);
      assert.equal((await post('kill', '{"id":0}', { Origin: 'http://evil.example', 'X-CSRF-Token': csrf })).status, 403);
      assert.equal((await post('restart', '{"id":0}', { Origin: origin })).status, 403, 'no CSRF token');
      const badLog = await httpRequest(`${url}api/log?id=12`);
      assert.deepEqual([badLog.status, JSON.parse(badLog.body).error], [400, 'log: no worker "12": the ids are 0..3']);
      assert.equal((await httpRequest(`${url}api/log?id=0`, { headers: { Host: `rebound.example:${new URL(url).port}` } })).status, 421);
      assert.equal(sv.workers[0]!.pid, Number(shown[0]!.pid), 'worker 0 untouched by the refused requests');

      // Memory: PSS per worker with its sparkline, and the pool's; tasks/s from the master's window.
      await waitInPage(page, '[...document.querySelectorAll(".worker svg.spark")].every((s) => Number(s.dataset.points) >= 3)', 'every worker\'s PSS sparkline to have points', 45_000);
      assert.match(await page.textContent('.worker[data-id="0"] .memory strong') ?? '', /^\d+\.\d MiB$/);
      // The rate reads "…" until the master's window holds two samples again after the restart and the kill.
      await waitInPage(page, '/^\\d[\\d.]* tasks\\/s$/.test(document.querySelector("#rate").textContent)', "tasks/s from the master's window", 45_000);
      assert.match(await page.textContent('#rate') ?? '', /^\d[\d.]* tasks\/s$/);
      assert.match(await page.textContent('#rate-window') ?? '', /^over the last \d+ s$/);

      // The layout uses the width, and fits a narrow window: the log beside the cards when open, else the cards across.
      const withLog = await layout(page);
      assert.ok(withLog.perRow >= 2 && !withLog.overflow, `1440 px, log open: ${JSON.stringify(withLog)}`);
      // For docs/dashboard.png: the charts with a minute of history.
      if (process.env['SUPERVISE_SCREENSHOT'] !== undefined) await waitInPage(page, 'Number(document.querySelector("#rate-spark").dataset.points) >= 60', 'a minute of history', 120_000);
      await page.screenshot({ path: process.env['SUPERVISE_SCREENSHOT'] ?? join(tmp.dir, 'dashboard.png'), fullPage: true });
      await page.click('#log-close');
      for (const [width, perRow] of [[1920, 4], [1280, 4], [400, 1]] as const) {
        await page.setViewportSize({ width, height: 900 });
        const shape = await layout(page);
        assert.ok(shape.perRow === perRow && !shape.overflow, `${width} px: ${JSON.stringify(shape)}`);
      }

      assert.deepEqual(problems, [], 'no script error and no CSP violation on the page');
      await page.close();
    } finally {
      await sv.stop();
      tmp.remove();
    }
  });
});

describe('--dashboard and --metrics without a browser', () => {
  it('off loopback with SUPERVISE_DASHBOARD_TOKEN: both need the token, and no worker inherits it', async () => {
    const token = 'env-token-for-the-test-0123456789';
    const tmp = tempDir();
    const cli = startCli(['--app', fixture('app.cjs'), '--dashboard', '0.0.0.0:0', '--metrics', '0.0.0.0:0', '--control', join(tmp.dir, 'sock')], {
      env: { SUPERVISE_DASHBOARD_TOKEN: token },
    });
    const dashboard = (await cli.waitForLog(/dashboard http:\/\/0\.0\.0\.0:(\d+)\/ \(token required\)$/m))[1]!;
    const metrics = (await cli.waitForLog(/metrics http:\/\/0\.0\.0\.0:(\d+)\/metrics$/m))[1]!;
    await cli.waitForLog(/master ready/);
    assert.doesNotMatch(cli.stderr(), new RegExp(token), 'the token is never logged');
    // Requests go to loopback only; the server listens on every address.
    const bearer = { Authorization: `Bearer ${token}` };
    assert.equal((await httpRequest(`http://127.0.0.1:${dashboard}/api/status`)).status, 401);
    assert.equal((await httpRequest(`http://127.0.0.1:${dashboard}/api/status`, { headers: bearer })).status, 200);
    assert.equal((await httpRequest(`http://127.0.0.1:${metrics}/metrics`)).status, 401);
    const scraped = await httpRequest(`http://127.0.0.1:${metrics}/metrics`, { headers: bearer });
    assert.equal(scraped.status, 200);
    assert.match(scraped.body, /^supervise_pool_size 1$/m);
    const worker = cli.workerPids().get(0)!;
    const environ = readFileSync(`/proc/${worker}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('SUPERVISE_WORKER_ID=0'), 'read the worker\'s environment');
    assert.ok(!environ.some((v) => v.startsWith('SUPERVISE_DASHBOARD_TOKEN=')), 'the worker did not inherit the token');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });


  it('refuses a non-loopback address without a token, in one line, before any worker', async () => {
    const result = await runCli(['--app', fixture('app.cjs'), '--dashboard', '0.0.0.0:8123']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      'supervise: refusing --dashboard "0.0.0.0:8123": not a loopback address; serving beyond this machine needs --dashboard-token (or SUPERVISE_DASHBOARD_TOKEN)\n',
    );
  });

  it('refuses an address in use with one line and starts no worker', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const tmp = tempDir();
      const result = await runCli(['--app', fixture('app.cjs'), '--dashboard', `127.0.0.1:${port}`, '--control', join(tmp.dir, 'sock')]);
      tmp.remove();
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').at(-1), `supervise: cannot serve the dashboard on 127.0.0.1:${port}: the address is in use`);
      assert.doesNotMatch(result.stderr, /spawned/);
    } finally {
      busy.close();
    }
  });
});
