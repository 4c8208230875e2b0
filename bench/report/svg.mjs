/**
 * The respawn chart as a standalone SVG, written as text (no browser, no library): one row per
 * system on a log scale (fork-based and poll-based systems differ by 100×), a bar to the median,
 * a whisker to the p95, a dot per kill, and lines at the node floor and at the cold-respawn
 * target (floor + 15 ms). picolisp-supervisor's quoted figure is drawn hollow: not measured here.
 */

const WIDTH = 760;
const LEFT = 190;
const RIGHT = 30;
const TOP = 46;
const ROW = 30;
const BOTTOM = 58;

/** Escapes text for SVG. */
function esc(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

/** The quoted picolisp-supervisor respawn median at --poll 1 (measured elsewhere), in ms. */
const PICOLISP_QUOTED_MS = 800;

/** Ticks 1, 2, 5, 10, 20, 50, … within [min, max]. */
function logTicks(min, max) {
  const ticks = [];
  for (let pow = 10 ** Math.floor(Math.log10(min)); pow <= max; pow *= 10) {
    for (const m of [1, 2, 5]) if (m * pow >= min && m * pow <= max) ticks.push(m * pow);
  }
  return ticks;
}

/** The chart for `results` (systems without a respawn figure are listed with their reason). */
export function respawnChart(results) {
  const rows = results.systems.map((s) => ({ label: s.label, r: s.respawn, why: s.skipped ?? s.respawn?.skipped ?? s.respawn?.error }));
  rows.push({ label: 'picolisp-supervisor', quoted: PICOLISP_QUOTED_MS });
  const floor = results.floor.nodeColdMs;
  const target = floor + 15;
  const values = rows.flatMap((row) => (row.r?.samplesMs ? [...row.r.samplesMs, row.r.p95Ms] : []));
  const min = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(floor, ...values))));
  const max = Math.max(target, PICOLISP_QUOTED_MS, ...values) * 1.3;
  const plotW = WIDTH - LEFT - RIGHT - 40;
  const x = (ms) => LEFT + (Math.log10(Math.max(ms, min) / min) / Math.log10(max / min)) * plotW;
  const height = TOP + rows.length * ROW + BOTTOM;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${LEFT}" y="20" font-size="14" font-weight="bold">Respawn: SIGKILL of a worker to its replacement ready (ms)</text>`);
  out.push(`<text x="${LEFT}" y="36" fill="#555">log scale; bar: median, whisker: p95, dots: each kill; ${esc(results.startedAt.slice(0, 10))}, ${results.machine.cpus} cores, Node ${esc(results.machine.node)}</text>`);
  const bottom = TOP + rows.length * ROW;
  for (const t of logTicks(min, max)) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${TOP - 4}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t}</text>`);
  }
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    const mid = y + ROW / 2;
    out.push(`<text x="${LEFT - 8}" y="${mid + 4}" text-anchor="end">${esc(row.label)}</text>`);
    if (row.quoted !== undefined) {
      out.push(`<rect x="${LEFT}" y="${y + 7}" width="${(x(row.quoted) - LEFT).toFixed(1)}" height="${ROW - 14}" fill="none" stroke="#9aa5b1" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${(x(row.quoted) + 6).toFixed(1)}" y="${mid + 4}" fill="#888" font-style="italic">≈${row.quoted}, quoted</text>`);
      return;
    }
    if (!row.r?.samplesMs) {
      out.push(`<text x="${LEFT + 6}" y="${mid + 4}" fill="#888" font-style="italic">${esc(row.why ?? 'not measured')}</text>`);
      return;
    }
    const supervise = row.label.startsWith('supervise');
    out.push(`<rect x="${LEFT}" y="${y + 7}" width="${(x(row.r.medianMs) - LEFT).toFixed(1)}" height="${ROW - 14}" fill="${supervise ? '#2a7ab8' : '#9aa5b1'}"/>`);
    out.push(`<line x1="${x(row.r.medianMs).toFixed(1)}" y1="${mid}" x2="${x(row.r.p95Ms).toFixed(1)}" y2="${mid}" stroke="#333"/>`);
    out.push(`<line x1="${x(row.r.p95Ms).toFixed(1)}" y1="${mid - 5}" x2="${x(row.r.p95Ms).toFixed(1)}" y2="${mid + 5}" stroke="#333"/>`);
    for (const s of row.r.samplesMs) out.push(`<circle cx="${x(s).toFixed(1)}" cy="${mid}" r="2" fill="#000" fill-opacity="0.35"/>`);
    out.push(`<text x="${(x(row.r.p95Ms) + 9).toFixed(1)}" y="${mid + 4}" fill="#333">${row.r.medianMs.toFixed(1)}</text>`);
  });
  const mark = (ms, color, dash, label, dy) => {
    out.push(`<line x1="${x(ms).toFixed(1)}" y1="${TOP - 6}" x2="${x(ms).toFixed(1)}" y2="${bottom}" stroke="${color}" stroke-dasharray="${dash}"/>`);
    out.push(`<text x="${x(ms).toFixed(1)}" y="${bottom + 32 + dy}" text-anchor="middle" fill="${color}">${esc(label)}</text>`);
  };
  mark(floor, '#1a7f37', '4 3', `node -e 0: ${floor.toFixed(1)}`, 0);
  mark(target, '#c62828', '2 3', `target (floor + 15): ${target.toFixed(1)}`, 14);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
