/** The dashboard page's stylesheet: a summary bar, a grid of worker cards that fills the width, and the log panel beside it on wide screens. */

/** The stylesheet, inlined in the page and allowed by its hash. */
export const DASHBOARD_STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #fff; --card: #f7f8fa; --line: #d8dde3; --accent: #2563eb; --bad: #c0262d; --ok: #16803c; --warn: #a15c00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --muted: #9aa4b0; --bg: #15181c; --card: #1c2026; --line: #30363d; --accent: #6ea0ff; --bad: #ff6b6b; --ok: #4ecb71; --warn: #f0b34a; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.2rem; margin: 0 0 .75rem; }
h1 small { color: var(--muted); font-weight: normal; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem 1.75rem; align-items: center; margin-bottom: 1rem; }
.summary .item span { display: block; color: var(--muted); font-size: .8em; }
.summary .item strong { font-variant-numeric: tabular-nums; font-weight: 600; }
.chart { display: flex; align-items: center; gap: .6rem; }
svg.spark { display: block; border: 1px solid var(--line); border-radius: 4px; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-bottom: .5rem; }
.controls .sep { width: 1px; align-self: stretch; background: var(--line); margin: 0 .25rem; }
button, input { font: inherit; padding: .3rem .7rem; border: 1px solid var(--line); border-radius: 4px; background: transparent; color: var(--fg); }
button { cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
button.danger:hover:not(:disabled) { border-color: var(--bad); color: var(--bad); }
input { width: 5rem; }
#message { min-height: 1.4em; color: var(--muted); margin-bottom: .5rem; }
#message.error, #connection { color: var(--bad); }
.main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; align-items: start; }
@media (min-width: 1400px) { .main.with-log { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } }
#workers { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: .75rem; }
.worker { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem; background: var(--card); min-width: 0; }
.worker.selected { border-color: var(--accent); }
.worker header { display: flex; align-items: baseline; gap: .5rem; margin-bottom: .4rem; }
.worker header h2 { font-size: 1rem; margin: 0; }
.worker header .pid { color: var(--muted); font-variant-numeric: tabular-nums; margin-left: auto; }
.worker dl { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .2rem .5rem; margin: 0 0 .4rem; }
.worker dt { color: var(--muted); font-size: .78em; }
.worker dd { margin: 0; font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.worker .memory { display: flex; align-items: center; gap: .6rem; margin-bottom: .4rem; }
.worker .memory .detail { color: var(--muted); font-size: .8em; }
.worker .exit { font-size: .85em; min-height: 1.3em; margin-bottom: .5rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.worker .buttons { display: flex; gap: .4rem; }
.worker .buttons button { padding: .2rem .6rem; }
.state { font-size: .85em; }
.state-running { color: var(--ok); }
.state-waiting, .state-exited { color: var(--bad); }
.state-spawning, .state-loading, .state-stopping { color: var(--warn); }
.tag { font-size: .8em; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; color: var(--muted); }
.tag.clean { color: var(--ok); border-color: var(--ok); }
.tag.unclean { color: var(--bad); border-color: var(--bad); }
#log-panel { border: 1px solid var(--line); border-radius: 6px; background: var(--card); min-width: 0; }
#log-panel header { display: flex; align-items: center; gap: .75rem; padding: .4rem .75rem; border-bottom: 1px solid var(--line); }
#log-panel header h2 { font-size: 1rem; margin: 0; }
#log-panel header .file { color: var(--muted); font-size: .8em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
#log { margin: 0; padding: .5rem .75rem; height: 32rem; overflow: auto; font: 12px/1.35 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
`;
