/**
 * @module viewer/page
 * The one HTML document every page URL answers with (the front end routes on the path), and the
 * stylesheet. No inline script or style anywhere, so the strict CSP needs no exception.
 */

/** Sent with every response: only this origin's scripts, styles and fetches; no framing, no plugins. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

export const SHELL_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sightline viewer</title>
<link rel="stylesheet" href="/assets/viewer.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/services">Sightline</a>
  <nav><a href="/services" data-nav="services">Services</a><a href="/traces" data-nav="traces">Traces</a><a href="/logs" data-nav="logs">Logs</a></nav>
  <span class="status" id="status"></span>
  <button type="button" id="live-toggle" class="live-toggle" aria-pressed="false">❚❚ Pause</button>
</header>
<main id="main"></main>
</body>
</html>
`

export const STYLESHEET = `
:root { --bg:#0f1419; --panel:#171d24; --line:#273040; --text:#d7dde5; --dim:#8a96a6; --accent:#4aa3ff;
  --err:#ff6b6b; --ok:#5ad17a; --warn:#f4c152; font-family: system-ui, sans-serif; font-size: 14px; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; color: var(--text); }
nav a { margin-right: 16px; color: var(--dim); }
nav a.active { color: var(--text); font-weight: 600; }
.status { margin-left: auto; color: var(--dim); font-size: 12px; }
main { padding: 16px 20px; }
h1 { font-size: 18px; margin: 4px 0 12px; }
h2 { font-size: 15px; margin: 18px 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--dim); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, monospace; font-size: 12px; }
.err { color: var(--err); }
.ok { color: var(--ok); }
.warn { color: var(--warn); }
.dim { color: var(--dim); }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--dim); gap: 2px; }
input, select, button { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; font: inherit; }
button { cursor: pointer; }
.service { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin-bottom: 14px; }
.charts { display: flex; gap: 10px; }
.chart { display: flex; flex-direction: column; font-size: 11px; color: var(--dim); }
svg.spark { background: #0b0f14; border: 1px solid var(--line); }
.waterfall { width: 100%; }
.wf-row { display: grid; grid-template-columns: 38% 62%; border-bottom: 1px solid var(--line); cursor: pointer; }
.wf-row:hover { background: #1b2230; }
.wf-name { padding: 4px 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wf-track { position: relative; height: 24px; }
.wf-bar { position: absolute; top: 6px; height: 12px; min-width: 2px; border-radius: 2px; }
.wf-dur { position: absolute; top: 4px; font-size: 11px; color: var(--dim); padding: 0 4px; white-space: nowrap; }
.wf-log { cursor: default; }
.wf-log .wf-name { color: var(--dim); font-size: 12px; }
.wf-dot { position: absolute; top: 8px; width: 8px; height: 8px; border-radius: 50%; background: var(--warn); }
.details { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 4px 0 8px; }
.details table td:first-child { color: var(--dim); width: 30%; word-break: break-all; }
.details td { word-break: break-all; white-space: pre-wrap; }
.svc-0 { background: #4aa3ff; } .svc-1 { background: #b07cff; } .svc-2 { background: #3fc7b0; }
.svc-3 { background: #f49b52; } .svc-4 { background: #e86fb0; } .svc-5 { background: #a3c94a; }
.bar-err { background: var(--err) !important; }
.logline td { font-size: 12px; }
.logline { cursor: pointer; }
.logline:hover, .logline.open { background: #1b2230; }
.log-detail > td { background: var(--panel); padding: 6px 14px 10px; }
.log-detail td.key { color: var(--dim); width: 22%; }
.chip { display: inline-block; margin-left: 8px; padding: 0 6px; border-radius: 8px; background: #222b38; color: var(--dim); font-size: 11px; font-family: ui-monospace, monospace; }
.chip-err { color: var(--err); }
.nowrap { white-space: nowrap; }
.live-toggle { font-size: 12px; }
.live-toggle.paused { color: var(--warn); border-color: var(--warn); }
.empty { color: var(--dim); padding: 20px 0; }
`
