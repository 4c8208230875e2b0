/**
 * The dashboard's one page: HTML, CSS and a small script, inline and self-contained (no external
 * resource), allowed by a Content-Security-Policy that names the exact hashes of its script and
 * style, so nothing else can run on it.
 */
import { createHash } from 'node:crypto';

/** The page's stylesheet. */
const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #fff; --line: #d8dde3; --accent: #2563eb; --bad: #c0262d; --ok: #16803c; --warn: #a15c00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --muted: #9aa4b0; --bg: #15181c; --line: #30363d; --accent: #6ea0ff; --bad: #ff6b6b; --ok: #4ecb71; --warn: #f0b34a; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.2rem; margin: 0 0 .75rem; }
h1 small { color: var(--muted); font-weight: normal; }
.summary { display: flex; flex-wrap: wrap; gap: .4rem 1.5rem; margin-bottom: 1rem; }
.summary div span { color: var(--muted); margin-right: .3rem; }
.rate { display: flex; align-items: center; gap: .75rem; margin-bottom: 1rem; }
.rate svg { border: 1px solid var(--line); border-radius: 4px; }
.rate polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-bottom: 1rem; }
.controls .sep { width: 1px; align-self: stretch; background: var(--line); margin: 0 .25rem; }
button, input { font: inherit; padding: .3rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: transparent; color: var(--fg); }
button { cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
input { width: 5rem; }
table { border-collapse: collapse; min-width: 40rem; }
th, td { text-align: right; padding: .3rem .7rem; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th:nth-child(3), td:nth-child(3), th:nth-child(7), td:nth-child(7) { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.state-running { color: var(--ok); }
.state-waiting, .state-exited { color: var(--bad); }
.state-spawning, .state-loading, .state-stopping { color: var(--warn); }
.tag { font-size: .8em; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; margin-left: .35rem; color: var(--muted); }
#message { min-height: 1.4em; color: var(--muted); }
#message.error, #connection { color: var(--bad); }
`;

/** The page's script: polls /api/status every second, renders it, and posts the buttons' actions. */
const SCRIPT = `
'use strict';
const csrf = document.querySelector('meta[name="supervise-csrf"]').content;
const query = new URLSearchParams(location.search);
let token = sessionStorage.getItem('supervise-token') || '';
if (query.has('token')) {
  token = query.get('token') || '';
  sessionStorage.setItem('supervise-token', token);
  // Keep the secret out of the address bar and the history.
  history.replaceState(null, '', location.pathname);
}
const $ = (id) => document.getElementById(id);
const rates = [];
const RATE_POINTS = 60;
let previous;
let size;

function headers(extra) {
  const h = Object.assign({ 'X-CSRF-Token': csrf }, extra);
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

function duration(ms) {
  if (ms === undefined || ms === null) return '';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm ' + s + 's';
  return s + 's';
}

function mib(bytes) {
  return bytes === undefined || bytes === null ? '' : (bytes / 1048576).toFixed(1) + ' MiB';
}

function percent(value) {
  return value === undefined || value === null ? '' : value.toFixed(1) + ' %';
}

function lastExit(exit) {
  if (!exit) return '';
  return (exit.signal ? exit.signal : 'code ' + exit.code) + ' at ' + new Date(exit.at).toLocaleTimeString();
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function tag(parent, text) {
  const span = document.createElement('span');
  span.className = 'tag';
  span.textContent = text;
  parent.appendChild(span);
}

function summary(status) {
  const items = [
    ['master pid', status.pid],
    ['state', status.state + (status.paused ? ' (paused)' : '')],
    ['workers', status.size],
    ['spares', status.spares],
    ['up', duration(status.startedAt ? Date.now() - Date.parse(status.startedAt) : undefined)],
    ['tasks', status.tasks],
    ['restarts', status.restarts],
    ['master PSS / USS / RSS', mib(status.master.pssBytes) + ' / ' + mib(status.master.ussBytes) + ' / ' + mib(status.master.rssBytes)],
    ['pool PSS (all processes)', mib(status.memory && status.memory.pssBytes)],
    ['master CPU', percent(status.master.cpuPercent)],
  ];
  const box = $('summary');
  box.replaceChildren();
  for (const [name, value] of items) {
    const div = document.createElement('div');
    const label = document.createElement('span');
    label.textContent = name;
    div.append(label, String(value === undefined || value === null ? '' : value));
    box.appendChild(div);
  }
}

function sparkline(status) {
  const now = performance.now();
  if (previous && status.tasks >= previous.tasks && now > previous.at) {
    rates.push((status.tasks - previous.tasks) / ((now - previous.at) / 1000));
    if (rates.length > RATE_POINTS) rates.shift();
  }
  previous = { tasks: status.tasks, at: now };
  const top = Math.max(1, ...rates);
  const width = 240, height = 40;
  const step = width / (RATE_POINTS - 1);
  const offset = RATE_POINTS - rates.length;
  const points = rates.map((r, i) => ((offset + i) * step).toFixed(1) + ',' + (height - 2 - (r / top) * (height - 4)).toFixed(1));
  $('spark-line').setAttribute('points', points.join(' '));
  const current = rates.length ? rates[rates.length - 1] : 0;
  $('rate').textContent = current.toFixed(current < 10 ? 1 : 0) + ' tasks/s';
  $('rate-peak').textContent = 'peak ' + top.toFixed(top < 10 ? 1 : 0) + ' over the last ' + rates.length + ' s';
}

function table(status) {
  const body = $('workers');
  body.replaceChildren();
  for (const w of status.workers) {
    const row = document.createElement('tr');
    row.dataset.id = String(w.id);
    row.dataset.pid = w.pid === undefined || w.pid === null ? '' : String(w.pid);
    row.dataset.state = w.state;
    row.dataset.paused = String(w.paused);
    cell(row, w.id);
    cell(row, w.pid);
    const state = cell(row, w.state, 'state-' + w.state);
    if (w.busy) tag(state, 'busy');
    if (w.paused) tag(state, 'paused');
    cell(row, w.busySlots + '/' + status.concurrency);
    cell(row, duration(w.uptimeMs));
    cell(row, w.tasks);
    cell(row, w.restarts);
    cell(row, lastExit(w.lastExit));
    cell(row, mib(w.pssBytes));
    cell(row, mib(w.ussBytes));
    cell(row, mib(w.rssBytes));
    cell(row, percent(w.cpuPercent));
    body.appendChild(row);
  }
}

function render(status) {
  summary(status);
  sparkline(status);
  table(status);
  $('pause').disabled = status.paused;
  $('resume').disabled = !status.paused;
  const input = $('scale-count');
  if (size !== status.size && document.activeElement !== input) input.value = String(status.size);
  size = status.size;
  document.body.dataset.size = String(status.size);
  document.body.dataset.paused = String(status.paused);
}

async function refresh() {
  try {
    const response = await fetch('/api/status', { headers: headers(), cache: 'no-store' });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status + ' ' + response.statusText);
    render(body);
    $('connection').textContent = '';
  } catch (error) {
    $('connection').textContent = 'status unavailable: ' + error.message;
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, 1000);
}

function say(text, error) {
  const box = $('message');
  box.textContent = text;
  box.className = error ? 'error' : '';
}

async function act(label, path, body) {
  say(label + '…');
  try {
    const response = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body || {}) });
    const reply = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(reply.error || response.status + ' ' + response.statusText);
    say(label + ': ' + (reply.pending ? 'under way' : 'done'));
  } catch (error) {
    say(label + ' failed: ' + error.message, true);
  }
  refresh();
}

function scaleTo(n) {
  if (!Number.isInteger(n) || n < 0) return say('scale needs a whole number ≥ 0', true);
  act('scale to ' + n, '/api/scale', { workers: n });
}

$('reload').addEventListener('click', () => act('reload', '/api/reload'));
$('pause').addEventListener('click', () => act('pause', '/api/pause'));
$('resume').addEventListener('click', () => act('resume', '/api/resume'));
$('scale-up').addEventListener('click', () => size !== undefined && scaleTo(size + 1));
$('scale-down').addEventListener('click', () => size !== undefined && size > 0 && scaleTo(size - 1));
$('scale').addEventListener('click', () => scaleTo(Number($('scale-count').value)));
$('scale-count').addEventListener('keydown', (event) => event.key === 'Enter' && scaleTo(Number($('scale-count').value)));
loop();
`;

/** `'sha256-…'` of a text, as a CSP source. */
function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of the page: only its own script and style (by hash), requests to
 * its own origin, no frames, no forms, no plugins, no base URL.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)}`,
  `style-src ${cspHash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page, with `csrfToken` (base64url, so safe in an attribute) for the script to send with actions. */
export function dashboardPage(csrfToken: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="supervise-csrf" content="${csrfToken}">
<title>supervise</title>
<style>${STYLE}</style>
</head>
<body>
<h1>supervise <small>worker pool</small></h1>
<div id="connection" role="alert"></div>
<div class="summary" id="summary"></div>
<div class="rate">
<svg width="240" height="40" viewBox="0 0 240 40" aria-label="tasks per second, last minute"><polyline id="spark-line" points=""></polyline></svg>
<strong id="rate">… tasks/s</strong> <span id="rate-peak"></span>
</div>
<div class="controls">
<button id="reload" type="button" title="rolling reload: new processes load the code first">Reload</button>
<span class="sep"></span>
<button id="scale-down" type="button" title="one worker fewer">−1</button>
<input id="scale-count" type="number" min="0" step="1" aria-label="workers">
<button id="scale" type="button">Scale</button>
<button id="scale-up" type="button" title="one worker more">+1</button>
<span class="sep"></span>
<button id="pause" type="button" title="workers hold after their current task">Pause</button>
<button id="resume" type="button" disabled>Resume</button>
</div>
<div id="message" role="status"></div>
<table>
<thead><tr><th>id</th><th>pid</th><th>state</th><th title="busy task loops / --concurrency">busy</th><th>uptime</th><th>tasks</th><th>restarts</th><th>last exit</th><th title="proportional set size: shared pages split between their sharers">PSS</th><th title="unique set size: what only this process holds">USS</th><th title="resident set size: counts shared pages in full">RSS</th><th>CPU</th></tr></thead>
<tbody id="workers"></tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
