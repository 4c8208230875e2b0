/**
 * The dashboard's one page: HTML, CSS and a small script, inline and self-contained (no external
 * resource), allowed by a Content-Security-Policy that names the exact hashes of its script and
 * style, so nothing else can run on it.
 */
import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';

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
  `script-src ${cspHash(DASHBOARD_SCRIPT)}`,
  `style-src ${cspHash(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page, with `csrfToken` (base64url, so safe in an attribute) for the script to send with
 * actions; `logs`: the pool writes log files (--log-dir), so each worker gets a Log button.
 */
export function dashboardPage(csrfToken: string, logs = false): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="supervise-csrf" content="${csrfToken}">
<meta name="supervise-logs" content="${logs ? '1' : '0'}">
<title>supervise</title>
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<h1>supervise <small>worker pool</small></h1>
<div id="connection" role="alert"></div>
<div class="summary">
<div class="chart"><svg id="rate-spark" class="spark" width="180" height="36" viewBox="0 0 180 36" aria-label="tasks per second, last minutes"><polyline></polyline></svg>
<div class="item"><span id="rate-window">tasks/s</span><strong id="rate">… tasks/s</strong></div></div>
<div class="chart"><svg id="pool-spark" class="spark" width="180" height="36" viewBox="0 0 180 36" aria-label="PSS of the pool, last minutes"><polyline></polyline></svg>
<div class="item"><span title="proportional set size of the master, every worker and spare: what the pool costs the machine">pool PSS</span><strong id="pool-pss">…</strong></div></div>
<div id="summary-items" class="summary"></div>
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
<div id="main" class="main">
<section id="workers" aria-label="workers"></section>
<section id="log-panel" hidden>
<header><h2 id="log-title">log</h2><span id="log-file" class="file"></span><button id="log-close" type="button">Close</button></header>
<pre id="log" aria-live="off"></pre>
</section>
</div>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
