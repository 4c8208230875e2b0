/**
 * The dashboard page's script: polls /api/status every second and renders it (one card per
 * worker, kept and updated in place so a button is never replaced under the pointer), keeps the
 * last minutes of memory and tasks/s for the sparklines, posts the buttons' actions, and polls
 * /api/log for the worker whose log is open.
 */

/** The script, inlined in the page and allowed by its hash. Plain ES2020, no template literals (it sits in one). */
export const DASHBOARD_SCRIPT = `
'use strict';
const csrf = document.querySelector('meta[name="supervise-csrf"]').content;
const logsOn = document.querySelector('meta[name="supervise-logs"]').content === '1';
const query = new URLSearchParams(location.search);
let token = sessionStorage.getItem('supervise-token') || '';
if (query.has('token')) {
  token = query.get('token') || '';
  sessionStorage.setItem('supervise-token', token);
  // Keep the secret out of the address bar and the history.
  history.replaceState(null, '', location.pathname);
}
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
/** Points kept per chart: three minutes of one-second polls. */
const POINTS = 180;
const rateHistory = [];
const poolPss = [];
/** Per id: its card's parts and its PSS history. */
const cards = new Map();
let size;
let logId;
let logCursor;
let logTimer;

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
  return bytes === undefined || bytes === null ? '–' : (bytes / 1048576).toFixed(1) + ' MiB';
}

function percent(value) {
  return value === undefined || value === null ? '–' : value.toFixed(1) + ' %';
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function push(history, value) {
  history.push(value);
  if (history.length > POINTS) history.shift();
}

/** An inline SVG sparkline of width x height; draw(svg, values) updates it. */
function spark(width, height, label) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('aria-label', label);
  svg.appendChild(document.createElementNS(SVG, 'polyline'));
  return svg;
}

/**
 * Draws values (oldest first, undefined skipped) scaled between their least and greatest, over
 * at least minRange (memory: 4 MiB, so the noise of a few pages does not look like a spike).
 */
function draw(svg, values, minRange) {
  const width = Number(svg.getAttribute('width')), height = Number(svg.getAttribute('height'));
  const known = values.filter((v) => v !== undefined && v !== null);
  const top = Math.max(...known, 0), bottom = Math.min(...known, top);
  const range = Math.max(top - bottom, minRange || 0) || Math.max(top, 1);
  // A flat series sits at its value's height over zero; a narrow one is centred in minRange.
  const base = top === bottom && !minRange ? 0 : (top + bottom) / 2 - range / 2;
  // The last minute at least spans the width, so a fresh page draws a line, not a dot at the edge.
  const slots = Math.max(values.length, 60);
  const step = width / (slots - 1);
  const offset = slots - values.length;
  const points = [];
  values.forEach((v, i) => {
    if (v === undefined || v === null) return;
    const y = height - 2 - ((v - base) / range) * (height - 4);
    points.push(((offset + i) * step).toFixed(1) + ',' + y.toFixed(1));
  });
  svg.firstChild.setAttribute('points', points.join(' '));
  svg.dataset.points = String(points.length);
}

function summary(status) {
  const rate = status.taskRate && status.taskRate.perSecond;
  const items = [
    ['master pid', status.pid],
    ['state', status.state + (status.paused ? ' (paused)' : '')],
    ['workers', (status.live !== undefined && status.live < status.size ? status.live + '/' : '') + status.size],
    ['spares', status.spares],
    ['up', duration(status.startedAt ? Date.now() - Date.parse(status.startedAt) : undefined)],
    ['tasks', status.tasks],
    ['restarts', status.restarts],
    ['master PSS / USS / RSS', mib(status.master.pssBytes) + ' / ' + mib(status.master.ussBytes) + ' / ' + mib(status.master.rssBytes)],
    ['master CPU', percent(status.master.cpuPercent)],
  ];
  const box = $('summary-items');
  box.replaceChildren();
  for (const [name, value] of items) {
    const div = el('div', 'item');
    div.append(el('span', '', name), el('strong', '', String(value === undefined || value === null ? '' : value)));
    box.appendChild(div);
  }
  push(rateHistory, rate);
  draw($('rate-spark'), rateHistory);
  $('rate').textContent = rate === undefined || rate === null ? '… tasks/s' : rate.toFixed(rate < 10 ? 1 : 0) + ' tasks/s';
  $('rate').dataset.value = rate === undefined || rate === null ? '' : String(rate);
  $('rate-window').textContent = status.taskRate ? 'over the last ' + Math.round(status.taskRate.windowSeconds) + ' s' : '';
  const pss = status.memory && status.memory.pssBytes;
  push(poolPss, pss === undefined || pss === null ? undefined : pss);
  draw($('pool-spark'), poolPss, 4 * 1048576);
  $('pool-pss').textContent = mib(pss);
}

/** The card of one id, made once and kept while the pool holds the id. */
function card(id) {
  let c = cards.get(id);
  if (c) return c;
  const root = el('article', 'worker');
  root.dataset.id = String(id);
  const head = el('header');
  const pid = el('span', 'pid');
  const state = el('span', 'state');
  head.append(el('h2', '', 'worker ' + id), state, pid);
  const dl = el('dl');
  const fields = {};
  // Each name above its value, in a three-column grid (a div may group a dt and its dd).
  for (const [key, name] of [['uptime', 'uptime'], ['tasks', 'tasks'], ['busy', 'busy'], ['restarts', 'restarts'], ['cpu', 'CPU'], ['uss', 'USS / RSS']]) {
    const pair = el('div');
    fields[key] = el('dd');
    pair.append(el('dt', '', name), fields[key]);
    dl.append(pair);
  }
  const memory = el('div', 'memory');
  const chart = spark(120, 28, 'PSS of worker ' + id + ', last minutes');
  const pss = el('strong');
  memory.append(chart, el('div'));
  memory.lastChild.append(el('span', 'detail', 'PSS '), pss);
  const exit = el('div', 'exit');
  const buttons = el('div', 'buttons');
  const restart = el('button', 'restart', 'Restart');
  restart.type = 'button';
  restart.title = 'graceful: a new process loads first, then this one finishes its task and hands the id over';
  restart.addEventListener('click', () => act('restart worker ' + id, '/api/restart', { id }));
  const kill = el('button', 'kill danger', 'Kill');
  kill.type = 'button';
  kill.title = 'SIGKILL this process now; the master respawns the id';
  kill.addEventListener('click', () => act('kill worker ' + id, '/api/kill', { id }));
  buttons.append(restart, kill);
  if (logsOn) {
    const log = el('button', 'log', 'Log');
    log.type = 'button';
    log.title = 'follow this worker\\'s log file';
    log.addEventListener('click', () => openLog(id));
    buttons.append(log);
  }
  root.append(head, dl, memory, exit, buttons);
  c = { root, pid, state, fields, chart, pss, exit, history: [] };
  cards.set(id, c);
  return c;
}

function lastExit(c, exit) {
  c.exit.replaceChildren();
  if (!exit) {
    c.exit.textContent = 'no exit yet';
    c.root.dataset.exitCause = '';
    return;
  }
  const how = exit.signal ? exit.signal : 'code ' + exit.code;
  c.exit.append(el('span', 'tag ' + (exit.clean ? 'clean' : 'unclean'), exit.cause), ' ' + how + ' at ' + new Date(exit.at).toLocaleTimeString());
  if (exit.detail) c.exit.append(': ' + exit.detail);
  c.exit.title = 'last exit: ' + exit.cause + ', ' + how + (exit.detail ? ': ' + exit.detail : '');
  c.root.dataset.exitCause = exit.cause;
}

function workers(status) {
  const grid = $('workers');
  const seen = new Set();
  for (const w of status.workers) {
    seen.add(w.id);
    const c = card(w.id);
    const r = c.root;
    r.dataset.pid = w.pid === undefined || w.pid === null ? '' : String(w.pid);
    r.dataset.state = w.state;
    r.dataset.paused = String(w.paused);
    c.pid.textContent = w.pid ? 'pid ' + w.pid : 'no process';
    c.state.textContent = w.paused ? 'paused' : w.busy ? w.state + ', busy' : w.state;
    c.state.className = 'state state-' + w.state;
    c.fields.uptime.textContent = duration(w.uptimeMs) || '–';
    c.fields.tasks.textContent = String(w.tasks);
    c.fields.busy.textContent = w.busySlots + '/' + status.concurrency;
    c.fields.restarts.textContent = String(w.restarts);
    c.fields.cpu.textContent = percent(w.cpuPercent);
    c.fields.uss.textContent = w.ussBytes === undefined || w.ussBytes === null ? mib(w.rssBytes) : (w.ussBytes / 1048576).toFixed(1) + ' / ' + mib(w.rssBytes);
    c.fields.uss.title = 'USS: what only this process holds; RSS: counts shared pages in full';
    c.pss.textContent = mib(w.pssBytes);
    push(c.history, w.pssBytes === undefined || w.pssBytes === null ? undefined : w.pssBytes);
    draw(c.chart, c.history, 4 * 1048576);
    c.root.querySelector('.kill').disabled = !w.pid || w.state === 'exited';
    lastExit(c, w.lastExit);
    if (r.parentNode !== grid || r !== grid.children[status.workers.indexOf(w)]) grid.insertBefore(r, grid.children[status.workers.indexOf(w)] || null);
  }
  for (const [id, c] of cards) {
    if (seen.has(id)) continue;
    c.root.remove();
    cards.delete(id);
  }
}

function render(status) {
  summary(status);
  workers(status);
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
    say(label + ': ' + (reply.pending ? 'under way' : 'done') + (reply.pid ? ' (pid ' + reply.pid + ')' : ''));
  } catch (error) {
    say(label + ' failed: ' + error.message, true);
  }
  refresh();
}

function scaleTo(n) {
  if (!Number.isInteger(n) || n < 0) return say('scale needs a whole number ≥ 0', true);
  act('scale to ' + n, '/api/scale', { workers: n });
}

/** Lines the log panel keeps: older ones are dropped. */
const LOG_LINES = 500;

function openLog(id) {
  logId = id;
  logCursor = undefined;
  $('log').replaceChildren();
  $('log-title').textContent = 'worker ' + id + ' log';
  $('log-file').textContent = '';
  $('log-panel').hidden = false;
  $('main').classList.add('with-log');
  for (const [cid, c] of cards) c.root.classList.toggle('selected', cid === id);
  clearTimeout(logTimer);
  pollLog();
}

function closeLog() {
  logId = undefined;
  clearTimeout(logTimer);
  $('log-panel').hidden = true;
  $('main').classList.remove('with-log');
  for (const c of cards.values()) c.root.classList.remove('selected');
}

async function pollLog() {
  const id = logId;
  if (id === undefined) return;
  try {
    const url = '/api/log?id=' + id + (logCursor ? '&cursor=' + encodeURIComponent(logCursor) : '');
    const response = await fetch(url, { headers: headers(), cache: 'no-store' });
    const body = await response.json();
    if (id !== logId) return;
    if (!response.ok) throw new Error(body.error || response.status + ' ' + response.statusText);
    const box = $('log');
    const follow = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    if (body.reset) box.append(el('div', 'tag', '— the file was rotated or truncated —'));
    for (const line of body.lines) box.append(el('div', '', line));
    while (box.childElementCount > LOG_LINES) box.firstChild.remove();
    if (follow) box.scrollTop = box.scrollHeight;
    $('log-file').textContent = body.missing ? body.file + ' (no such file yet)' : body.file;
    logCursor = body.cursor;
  } catch (error) {
    $('log-file').textContent = 'log unavailable: ' + error.message;
  }
  if (id === logId) logTimer = setTimeout(pollLog, 1000);
}

$('reload').addEventListener('click', () => act('reload', '/api/reload'));
$('pause').addEventListener('click', () => act('pause', '/api/pause'));
$('resume').addEventListener('click', () => act('resume', '/api/resume'));
$('scale-up').addEventListener('click', () => size !== undefined && scaleTo(size + 1));
$('scale-down').addEventListener('click', () => size !== undefined && size > 0 && scaleTo(size - 1));
$('scale').addEventListener('click', () => scaleTo(Number($('scale-count').value)));
$('scale-count').addEventListener('keydown', (event) => event.key === 'Enter' && scaleTo(Number($('scale-count').value)));
$('log-close').addEventListener('click', closeLog);
loop();
`;
