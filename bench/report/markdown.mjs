/**
 * The generated part of docs/benchmarks.md: one table per measurement, every figure with its
 * ratio to the best peer and to the floor of the same run, then the targets.
 */
import { bestPeer, cell, num, ok, reason } from './format.mjs';
import { checkTargets } from './targets.mjs';

/** picolisp-supervisor cannot be installed here; its figure is quoted, not measured. */
export const PICOLISP_NOTE = 'bounded by --poll, about 0.8 s median at --poll 1, measured elsewhere (cannot be installed here)';

/**
 * "_Measured …_": when, under what load and by which command the figures under `keys` were taken:
 * one entry per command, with its first and last time and the range of the 1-minute load average.
 */
function measured(results, keys) {
  const byCommand = new Map();
  for (const st of keys.map((k) => results.stamps?.[k]).filter(Boolean)) {
    const list = byCommand.get(st.argv) ?? [];
    list.push(st);
    byCommand.set(st.argv, list);
  }
  if (byCommand.size === 0) return [];
  const hm = (at) => at?.slice(11, 16) ?? '?';
  const text = [...byCommand.entries()].map(([argv, list]) => {
    const ats = list.map((st) => st.at).sort();
    const loads = list.map((st) => st.load?.[0]).filter((v) => typeof v === 'number');
    const when = ats.length > 1 && hm(ats[0]) !== hm(ats.at(-1)) ? `${ats[0].slice(0, 10)} ${hm(ats[0])}–${hm(ats.at(-1))}` : `${ats[0]?.slice(0, 10)} ${hm(ats[0])}`;
    const load = loads.length === 0 ? '?' : Math.min(...loads) === Math.max(...loads) ? `${loads[0]}` : `${Math.min(...loads)}–${Math.max(...loads)}`;
    return `${when} UTC, 1-minute load average ${load}, \`node bench/run.mjs ${argv ?? ''}\``;
  });
  return [`_Measured ${text.join('; ')}._`, ''];
}

/** The stamp keys of per-system measure `name`. */
function keysOf(results, name) {
  return results.systems.map((s) => `${s.id}.${name}`);
}

/** A markdown table from a header row and body rows (a note instead when there is no row). */
function table(header, rows) {
  if (rows.length === 0) return '_Not measured in this run._';
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Systems that ran (not skipped). */
function ran(results) {
  return results.systems.filter((s) => !s.skipped);
}

/** Rows for one measurement: a value row per system that has it, a reason row per system that does not. */
function rowsFor(results, key, width, valueRow) {
  return ran(results)
    .filter((s) => s[key] !== undefined)
    .map((s) => (ok(s[key]) ? [s.label, ...valueRow(s, s[key])] : [s.label, reason(s[key]), ...Array(width - 1).fill('')]));
}

/** The list of systems with versions and skip reasons. */
function systemsTable(results) {
  const rows = results.systems.map((s) => [s.label, s.version ?? '—', s.skipped ? `skipped: ${s.skipped}` : 'measured']);
  rows.push(['picolisp-supervisor', '—', `not measured: ${PICOLISP_NOTE}`]);
  return table(['system', 'version', 'status'], rows);
}

/** Boot times for each N. */
function bootTable(results) {
  const sizes = results.config.bootSizes;
  const floor = results.floor.nodeColdMs;
  const best = Object.fromEntries(sizes.map((n) => [n, bestPeer(ran(results), (s) => s.boot?.[n])]));
  const rows = rowsFor(results, 'boot', sizes.length, (_s, m) => sizes.map((n) => cell(m[n], best[n], floor, 0)));
  return table(['system', ...sizes.map((n) => `N = ${n}, ms`)], rows);
}

/** Respawn latency, median and p95, plus the quoted picolisp figure. */
function respawnTable(results) {
  const floor = results.floor.nodeColdMs;
  const bestMed = bestPeer(ran(results), (s) => s.respawn?.medianMs);
  const bestP95 = bestPeer(ran(results), (s) => s.respawn?.p95Ms);
  const rows = rowsFor(results, 'respawn', 3, (_s, m) => [cell(m.medianMs, bestMed, floor), cell(m.p95Ms, bestP95, floor), String(m.kills)]);
  rows.push(['picolisp-supervisor', PICOLISP_NOTE, '', '']);
  return table(['system', 'median, ms', 'p95, ms', 'kills'], rows);
}

/** "0", or "2 (at +0.4, +1.1 ms)": tasks begun after the master was killed, and when. */
function startedAfter(busy) {
  if (busy.startedAfter === 0 || !busy.startedAfterMs) return String(busy.startedAfter);
  const when = busy.startedAfterMs.slice(0, 3).map((ms) => `+${num(ms, 1)}`);
  return `${busy.startedAfter} (at ${when.join(', ')}${busy.startedAfter > 3 ? ', …' : ''} ms)`;
}

/** Master death with idle and busy workers. */
function deathTable(results) {
  const floor = results.floor.nodeColdMs;
  const bestIdle = bestPeer(ran(results), (s) => s.death?.idle?.goneMs);
  const bestBusy = bestPeer(ran(results), (s) => s.death?.busy?.goneMs);
  const gone = (m, best) => (m === undefined ? '—' : m.goneMs === null ? 'never (orphans)' : cell(m.goneMs, best, floor));
  const rows = rowsFor(results, 'death', 7, (_s, m) => [
    gone(m.idle, bestIdle),
    m.idle ? String(m.idle.orphans) : '—',
    gone(m.busy, bestBusy),
    m.busy ? `${m.busy.finished} of ${m.busy.inFlight}` : '—',
    m.busy ? String(m.busy.cut) : '—',
    m.busy ? String(m.busy.orphans) : '—',
    m.busy ? startedAfter(m.busy) : '—',
  ]);
  return table(
    ['system', 'idle: all gone, ms', 'idle: orphans', 'busy: all gone, ms', 'busy: tasks finished', 'busy: tasks cut', 'busy: orphans', 'busy: tasks started after the kill'],
    rows,
  );
}

/** Idle master CPU and RSS. */
function costTable(results) {
  const bestCpu = bestPeer(ran(results), (s) => s.cost?.cpuPct);
  const bestRss = bestPeer(ran(results), (s) => s.cost?.rssMb);
  const rssFloor = results.floor.nodeIdleRssMb;
  const rows = rowsFor(results, 'cost', 3, (_s, m) => [cell(m.cpuPct, bestCpu, undefined, 3), `${m.cpuMs} in ${m.seconds} s`, cell(m.rssMb, bestRss, rssFloor)]);
  return table(['system', 'master CPU, %', 'CPU time, ms', 'master RSS, MiB'], rows);
}

/** "12.3 (IQR 10.1–14.0, 8.2–20.5)": a spread's median, quartiles and range. */
function spreadCell(sp, unit = '', digits = 1) {
  if (sp === undefined) return '—';
  return `**${num(sp.median, digits)}${unit}** (IQR ${num(sp.q1, digits)}–${num(sp.q3, digits)}, range ${num(sp.min, digits)}–${num(sp.max, digits)})`;
}

/** Task-loop overhead against the bare loop, per round, by CPU time and by wall time. */
function overheadTable(results) {
  const rows = ran(results)
    .filter((s) => s.overhead !== undefined && s.id === 'supervise')
    .flatMap((s) => {
      const m = s.overhead;
      if (!ok(m)) return [[s.label, reason(m), '', '', '']];
      if (typeof m.overheadPct === 'number') return [[s.label, '—', `${num(m.overheadPct)} % (best of 2, old measure)`, '', '']];
      const rate = (sp) => (sp === undefined ? '—' : `${(sp.median / 1e6).toFixed(2)} M`);
      return [
        [`${s.label}: its task loop`, spreadCell(m.overheadCpuPct, ' %'), spreadCell(m.overheadPct, ' %'), `${rate(m.tasksPerCpuS)} vs ${rate(m.bareTasksPerCpuS)} bare`, m.processes === undefined ? String(m.rounds) : `${m.rounds} (${m.processes} groups of processes)`],
        ['bare loop + supervise\'s yield (5 ms, clock read every 16 tasks)', spreadCell(m.yieldOverheadCpuPct, ' %'), spreadCell(m.yieldOverheadPct, ' %'), '', String(m.rounds)],
        ['bare loop + only those clock reads', spreadCell(m.clockOverheadCpuPct, ' %'), '—', '', String(m.rounds)],
        ...(m.patchedOverheadCpuPct
          ? [[`supervise built with MAX_TASKS_PER_CLOCK_READ = ${m.patchedEvery} (src/worker/entry.cts has 16)`, spreadCell(m.patchedOverheadCpuPct, ' %'), spreadCell(m.patchedOverheadPct, ' %'), '', String(m.rounds)]]
          : []),
      ];
    });
  return table(['loop (against the bare loop of the same round)', 'overhead by CPU time', 'overhead by wall time', 'tasks per CPU second (medians)', 'rounds'], rows);
}

/** Reload of 8 workers in 100 ms tasks, `reloads` times per system, with the hand-over floors. */
function reloadTable(results) {
  const floor = results.floor.nodeColdMs;
  const bestMove = bestPeer(ran(results), (s) => s.reload?.moveMs);
  const bestGap = bestPeer(ran(results), (s) => s.reload?.maxGapMs);
  const rows = rowsFor(results, 'reload', 6, (_s, m) => [
    cell(m.moveMs, bestMove, floor, 0),
    cell(m.maxGapMs, bestGap, floor, 2),
    m.idGapSpread ? spreadCell(m.idGapSpread, '', 2) : '—',
    String(m.reloads ?? 1),
    String(m.cut),
    String(m.oldStillRunning),
  ]);
  for (const s of ran(results)) {
    if (!ok(s.reload) || s.reload.floorExitMs === undefined) continue;
    rows.push(['floor: old exits → parent → new starts (apps/handover.cjs)', '', '', spreadCell(s.reload.floorExitMs, '', 2), String(s.reload.floorExitMs.n), '', '']);
    rows.push(['floor: new told at old\'s last task end, before its exit', '', '', spreadCell(s.reload.floorMessageMs, '', 2), String(s.reload.floorMessageMs.n), '', '']);
  }
  return table(['system', 'all 8 on new code, ms (median reload)', 'longest gap of an id, ms (median reload)', 'every id\'s gap, ms', 'reloads (runs)', 'tasks cut', 'old workers left'], rows);
}

/** Cold boot and respawn side by side: supervise, cluster and the spawn floor, medians with spread and per-round ratios. */
function coldTables(results) {
  const c = results.cold;
  if (c === undefined) return ['_Not measured in this run._'];
  if (!ok(c)) return [reason(c)];
  const row = (fig, label) => [label, spreadCell(fig, '', 0), fig?.vsFloor === undefined ? '—' : `×${num(fig.vsFloor, 2)}`, fig?.vsCluster === undefined ? '—' : `×${num(fig.vsCluster, 2)}`];
  const header = ['system', 'ms: median (IQR, range)', '× floor (median of rounds)', '× cluster (median of rounds)'];
  const out = [];
  for (const n of c.sizes) {
    out.push(`Boot of N = ${n} (${c.rounds[n] ?? 3} rounds):`, '', table(header, c.systems.map((s) => row(c.boot[n]?.[s.id], s.label))), '');
  }
  if (c.autogroup) {
    out.push('This kernel schedules each session as a group of its own (`/proc/sys/kernel/sched_autogroup_enabled` = 1), and supervise starts each worker in its own session (its process group, for signals): on a busy machine its N workers then get N shares of the CPU against one per session of the rest. The setsid floor shows that share; compare supervise with it, not with the plain floor.', '');
  }
  out.push(`Cold respawn, ${c.respawnWorkers} idle workers per pool, the pools up at once, ${c.kills} kills each in turn:`, '', table(header, c.systems.map((s) => row(c.respawn[s.id], s.label))));
  return out;
}

/** Pool memory at each N: PSS summed over master and workers, per worker, USS and the RSS sum. */
function memoryTable(results) {
  const sizes = results.config.memorySizes ?? [];
  const rows = [];
  for (const n of sizes) {
    const best = bestPeer(ran(results), (s) => s.memory?.[n]?.totalPssMib);
    for (const s of ran(results)) {
      const m = s.memory?.[n];
      if (s.memory === undefined) continue;
      if (!ok(s.memory)) {
        rows.push([s.label, String(n), reason(s.memory), '', '', '', '']);
        continue;
      }
      if (!ok(m)) {
        rows.push([s.label, String(n), m === undefined ? 'not run' : reason(m), '', '', '', '']);
        continue;
      }
      rows.push([s.label, String(n), cell(m.totalPssMib, best, undefined, 1), num(m.perWorkerPssMib, 2), num(m.masterPssMib, 1), num(m.totalUssMib, 1), `${num(m.rssSumMib, 0)} (×${num(m.rssSumMib / m.totalPssMib, 1)} the PSS)`]);
    }
  }
  return table(['system', 'N', 'pool PSS, MiB (×best peer)', 'per worker, MiB', 'master, MiB', 'pool USS, MiB', 'RSS sum, MiB'], rows);
}

/** The seed scenario: 256 I/O-bound loops in several shapes, beside supervisord's 256 processes. */
function seedTable(results) {
  const s = results.seed;
  if (s === undefined) return '_Not measured in this run (`--measures seed`)._';
  if (!ok(s)) return reason(s);
  const base = s.rows.find((r) => !r.skipped);
  const rows = s.rows.map((r) =>
    r.skipped
      ? [r.system, 'skipped: ' + r.skipped, '', '', '', '', '', '']
      : [r.system, r.shape, num(r.bootMs, 0), num(r.totalPssMib, 0), `×${num(r.totalPssMib / base.totalPssMib, 3)}`, num(r.perProcessPssMib, 2), num(r.rssSumMib, 0), num(r.tasksPerS, 1)],
  );
  return table(['system', 'processes × loops', 'boot, ms', 'pool PSS, MiB', `PSS vs ${base.shape}`, 'PSS per process, MiB', 'RSS sum, MiB', `tasks/s (ideal ${s.loops * (1000 / s.taskMs)})`], rows);
}

/** HTTP requests/s side by side, then requests failed during a reload under load. */
function httpTables(results) {
  const h = results.http;
  if (h === undefined) return ['_Not measured in this run (`--measures http`)._'];
  if (!ok(h)) return [reason(h)];
  const modes = { keepAlive: 'keep-alive', newConnection: 'new connection per request' };
  const rateRows = h.systems.map((s) => [
    s.label,
    ...Object.keys(modes).flatMap((mode) => {
      const f = h.rates[mode]?.[s.id];
      return f === undefined ? ['—', '—'] : [spreadCell(f.rps, '', 0), f.vsCluster == null ? '—' : `×${num(f.vsCluster, 2)}`];
    }),
    Object.keys(modes).map((mode) => `${h.rates[mode]?.[s.id]?.failed ?? '—'} of ${h.rates[mode]?.[s.id]?.requests ?? '—'}`).join(' / '),
  ]);
  for (const s of h.notRun ?? []) rateRows.push([s.label, `skipped: ${s.why}`, '', '', '', '']);
  const reloadRows = h.reloads.map((r) => [r.reload, modes[r.mode], String(r.requests), `**${r.failed}**${r.failed > 0 ? ` (${num((r.failed / Math.max(1, r.requests + r.failed)) * 100, 2)} %: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx)` : ''}`, String(r.oldLeft)]);
  return [
    `${h.workers} workers each, autocannon with ${h.connections} connections, ${h.seconds} s per run, ${h.rounds} rounds (the systems' order rotated each round); all servers up at once, idle but for the one loaded.`,
    '',
    table(['system', 'keep-alive: req/s, median (IQR, range)', '× cluster', 'new connection: req/s, median (IQR, range)', '× cluster', 'failed (keep-alive / new connection)'], rateRows),
    '',
    `Requests failed during a reload under load: autocannon for ${h.reloadS} s, the reload triggered after 2 s, each on a freshly started server; failed = connection errors + timeouts + non-2xx answers.`,
    '',
    table(['reload', 'load', 'requests answered', 'failed', 'old processes left at the end'], reloadRows),
  ];
}

/** The targets, met or not. */
function targetsTable(results) {
  const rows = checkTargets(results).map((t) => [
    t.name,
    t.target,
    t.value === null ? '—' : `${num(t.value, 2)} ${t.unit}`,
    t.met === null ? `not measured: ${t.why}` : t.met ? 'met' : '**missed**',
  ]);
  return table(['target', 'goal', 'supervise', 'result'], rows);
}

/** The whole generated section, with `chart` the chart's path relative to the markdown file. */
export function resultsMarkdown(results, chart) {
  const f = results.floor;
  const m = results.machine;
  const load = results.load ? ` Load average (1, 5, 15 min) at the start ${results.load.before.join(', ')}, at the end ${results.load.after?.join(', ') ?? '?'}.` : '';
  return [
    `Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.durationS} s, on ${m.cpus} × ${m.cpu}, Linux ${m.kernel}, Node ${m.node}.${load}`,
    `Command: \`node bench/run.mjs ${results.argv ?? ''}\`.`,
    `Floors measured in the same run: cold \`node -e 0\` **${num(f.nodeColdMs, 1)} ms** (median of ${f.nodeColdSamplesMs.length}), idle node RSS **${num(f.nodeIdleRssMb)} MiB**.`,
    'Each figure reads `value (×best peer, ×floor)`: the ratio to the best system other than supervise, then to the floor (cold `node -e 0` for times, idle node RSS for memory).',
    '',
    '### Systems',
    systemsTable(results),
    '',
    `### Respawn: SIGKILL of one worker to its replacement ready (${results.config.respawnWorkers} workers)`,
    ...measured(results, keysOf(results, 'respawn')),
    `![respawn latency per system](${chart})`,
    '',
    respawnTable(results),
    '',
    '### Cold boot and respawn side by side: supervise, Node cluster and the floor',
    ...measured(results, ['run.cold']),
    'The floor is a primary that only spawns plain `node` processes of the same loop and respawns them under their id (`bench/apps/spawn-primary.cjs`); cluster is `bench/apps/cluster-primary.cjs`. Each round runs every system once, the order rotated; ratios are medians of the per-round ratios.',
    '',
    ...coldTables(results),
    '',
    '### Boot: spawn of the master to all N workers ready (each system in turn)',
    ...measured(results, keysOf(results, 'boot')),
    bootTable(results),
    '',
    '### Memory: the whole pool of N idle workers (PSS from /proc/<pid>/smaps_rollup)',
    ...measured(results, keysOf(results, 'memory')),
    'PSS charges each shared page 1/k to each of the k processes mapping it, so a pool\'s PSS adds up to what it uses; the RSS sum counts the node binary once per process. Per worker: the pool less the master, over N (pm2\'s helper processes count in).',
    '',
    memoryTable(results),
    '',
    '### HTTP: hello world under supervise --listen, Node cluster, pm2 cluster mode and Unicorn',
    ...measured(results, ['run.http']),
    ...httpTables(results),
    '',
    '### The seed scenario: 256 I/O-bound task loops (each task a 1 s wait)',
    ...measured(results, ['run.seed']),
    'supervise as 256 processes, 16 × 16 (`--concurrency 16`) and 8 × 32; supervisord runs 256 processes of the same Node loop (`bench/apps/standalone.cjs`). Boot: spawn of the master to every process in its first task. tasks/s: the tasks\' own end events over 10 s.',
    '',
    seedTable(results),
    '',
    `### Master death: SIGKILL of the master to every worker gone (${results.config.deathWorkers} workers)`,
    ...measured(results, keysOf(results, 'death')),
    'Idle workers poll an empty queue every 10 ms; busy ones are in 200 ms tasks. Orphans are workers still running 3 s after the master died.',
    '',
    deathTable(results),
    '',
    `### Master cost: the master alone over ${results.config.costSeconds} s idle with 32 workers`,
    ...measured(results, keysOf(results, 'cost')),
    costTable(results),
    '',
    '### Task-loop overhead: an empty task, supervised vs. a bare `await` loop in plain Node',
    ...measured(results, keysOf(results, 'overhead')),
    'Each round gives every loop the CPU alone for the same window (the others SIGSTOPped), in turn; a round\'s overhead is 1 − its rate / the bare loop\'s rate of that round. The rounds are spread over groups of fresh processes (bare loops started anew, the supervised worker killed and respawned): two processes of one build differ by several percent in this loop. By CPU time: tasks per CPU second of the process, which a neighbour taking the core does not change; by wall time: tasks per second.',
    '',
    overheadTable(results),
    '',
    '### Reload: 8 workers in 100 ms tasks moved to new code',
    ...measured(results, keysOf(results, 'reload')),
    'Several reloads per session where a reload is quick; supervise\'s are interleaved with runs of the hand-over floor (`bench/apps/handover.cjs`), so both see the same machine.',
    '',
    reloadTable(results),
    '',
    '### Targets',
    targetsTable(results),
  ].join('\n');
}
