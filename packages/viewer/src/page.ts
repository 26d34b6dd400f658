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
  <nav><a href="/services" data-nav="services">Services</a><a href="/traces" data-nav="traces">Traces</a><a href="/logs" data-nav="logs">Logs</a><a href="/metrics" data-nav="metrics">Metrics</a><a href="/errors" data-nav="errors">Errors</a></nav>
  <span class="status" id="status"></span>
  <button type="button" id="live-toggle" class="live-toggle" aria-pressed="false">❚❚ Pause</button>
</header>
<main id="main"></main>
</body>
</html>
`

export const STYLESHEET = `
:root { color-scheme: dark; --bg:#0d1117; --panel:#161b22; --panel2:#1c2330; --line:#2a3342; --text:#e2e8f0;
  --dim:#8b98a9; --accent:#58a6ff; --accent-bg:rgba(88,166,255,.12); --err:#ff7b72; --err-bg:rgba(255,123,114,.14);
  --ok:#3fb950; --ok-bg:rgba(63,185,80,.14); --warn:#e3b341; --warn-bg:rgba(227,179,65,.14); --hover:#1f2733;
  --chart-bg:#0f141b; --shadow:0 1px 2px rgba(0,0,0,.4);
  font-family: "Segoe UI", system-ui, -apple-system, "Helvetica Neue", sans-serif; font-size: 14px; }
@media (prefers-color-scheme: light) {
  :root { color-scheme: light; --bg:#f6f8fa; --panel:#ffffff; --panel2:#f3f5f8; --line:#d8dee4; --text:#1f2328;
    --dim:#636c76; --accent:#0969da; --accent-bg:rgba(9,105,218,.08); --err:#cf222e; --err-bg:rgba(207,34,46,.08);
    --ok:#1a7f37; --ok-bg:rgba(26,127,55,.1); --warn:#9a6700; --warn-bg:rgba(154,103,0,.1); --hover:#eef2f6;
    --chart-bg:#fbfcfd; --shadow:0 1px 3px rgba(31,35,40,.08); }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.4; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 28px; padding: 0 24px; height: 48px;
  background: var(--panel); border-bottom: 1px solid var(--line); box-shadow: var(--shadow); }
.brand { font-weight: 700; font-size: 15px; color: var(--text); letter-spacing: .2px; display: flex; align-items: center; gap: 8px; }
.brand::before { content: ""; width: 14px; height: 14px; border-radius: 4px; background: linear-gradient(135deg, #58a6ff, #a371f7); }
nav { display: flex; gap: 4px; height: 100%; }
nav a { display: flex; align-items: center; padding: 0 12px; color: var(--dim); border-bottom: 2px solid transparent; font-weight: 500; }
nav a:hover { color: var(--text); text-decoration: none; background: var(--hover); }
nav a.active { color: var(--text); border-bottom-color: var(--accent); }
.status { margin-left: auto; color: var(--dim); font-size: 12px; }
.status::before { content: "●"; color: var(--ok); margin-right: 6px; }
.status:empty::before { content: none; }
body[data-live="paused"] .status::before { color: var(--warn); }
main { padding: 20px 24px 40px; max-width: 1500px; }
h1 { font-size: 20px; font-weight: 600; margin: 0 0 16px; }
h1 .dim { font-size: 13px; font-weight: 400; }
h2 { font-size: 15px; font-weight: 600; margin: 18px 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--dim); font-weight: 600; font-size: 11px; text-transform: uppercase; letter-spacing: .4px; background: var(--panel2); }
tbody tr:hover { background: var(--hover); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, "Cascadia Mono", "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.err { color: var(--err); }
.ok { color: var(--ok); }
.warn { color: var(--warn); }
.dim { color: var(--dim); }
.table-box, #trace-list, table.logs, table.routes, table.metric-table { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
#trace-list, table.logs, table.metric-table { border-collapse: separate; border-spacing: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin-bottom: 16px; padding: 12px 14px;
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
form.filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--dim); gap: 4px; font-weight: 600; }
input, select, button { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px; padding: 6px 9px; font: inherit; font-size: 13px; }
input:focus, select:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
button { cursor: pointer; background: var(--panel2); font-weight: 500; }
button:hover { border-color: var(--accent); }
button[type="submit"] { background: var(--accent); border-color: var(--accent); color: #fff; }
.live-toggle { font-size: 12px; padding: 4px 10px; }
.live-toggle.paused { color: var(--warn); border-color: var(--warn); }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; margin-bottom: 18px; box-shadow: var(--shadow); }
.card-head { display: flex; align-items: center; gap: 12px; }
.card-head h2 { margin: 0; font-size: 16px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; font-weight: 600; background: var(--panel2); color: var(--dim); border: 1px solid var(--line); }
.badge-ok { background: var(--ok-bg); color: var(--ok); border-color: transparent; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.stat { min-width: 96px; padding: 8px 12px; background: var(--panel2); border-radius: 8px; }
.stat-value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat-label { font-size: 11px; color: var(--dim); text-transform: uppercase; letter-spacing: .4px; }
.stat.err .stat-value { color: var(--err); }
.charts { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 12px; }
table .charts { margin: 0; flex-wrap: nowrap; }
svg.chart-svg { background: var(--chart-bg); border: 1px solid var(--line); border-radius: 6px; }
svg.chart-svg text { font-size: 10px; fill: var(--dim); font-family: inherit; }
svg.chart-svg text.chart-title { font-weight: 600; fill: var(--text); }
svg.chart-svg text.readout { fill: var(--text); font-weight: 600; }
svg.chart-svg line.grid { stroke: var(--line); stroke-dasharray: 2 3; }
svg.chart-svg line.cursor { stroke: var(--dim); }
svg.chart-svg.compact text.chart-title { display: none; }
table.routes td { vertical-align: middle; }
.waterfall { width: 100%; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.wf-axis { display: grid; grid-template-columns: 38% 62%; background: var(--panel2); border-bottom: 1px solid var(--line); font-size: 11px; color: var(--dim); }
.wf-axis .wf-name { font-weight: 600; text-transform: uppercase; letter-spacing: .4px; }
.wf-ticks { position: relative; height: 26px; }
.wf-tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--line); padding: 6px 4px; white-space: nowrap; }
.wf-tick.last { border-left: none; border-right: 1px solid var(--line); transform: translateX(-100%); }
.wf-row { display: grid; grid-template-columns: 38% 62%; border-bottom: 1px solid var(--line); cursor: pointer; }
.wf-row:hover { background: var(--hover); }
.wf-row.match { background: var(--accent-bg); }
.wf-row.selected { background: var(--accent-bg); box-shadow: inset 3px 0 0 var(--accent); }
.wf-name { padding: 5px 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: flex; align-items: center; gap: 6px; }
.wf-toggle { width: 16px; height: 16px; padding: 0; font-size: 10px; line-height: 14px; border-radius: 3px; background: transparent; color: var(--dim); flex: none; }
.wf-toggle.spacer { visibility: hidden; }
.wf-svc { font-size: 11px; font-weight: 600; padding: 0 6px; border-radius: 4px; color: #0d1117; }
.wf-track { position: relative; height: 28px; background-image: linear-gradient(to right, var(--line) 1px, transparent 1px); background-size: 25% 100%; }
.wf-bar { position: absolute; top: 8px; height: 12px; min-width: 2px; border-radius: 3px; }
.wf-dur { position: absolute; top: 6px; font-size: 11px; color: var(--dim); padding: 0 4px; white-space: nowrap; }
.wf-log { cursor: default; }
.wf-log .wf-name { color: var(--dim); font-size: 12px; }
.wf-dot { position: absolute; top: 10px; width: 8px; height: 8px; border-radius: 50%; background: var(--warn); }
.wf-tools { display: flex; gap: 10px; align-items: center; margin: 0 0 10px; flex-wrap: wrap; }
.wf-tools input { min-width: 240px; }
.wf-item.dimmed { opacity: .45; }
.details { background: var(--panel2); border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: 10px 16px; }
.details table td:first-child, table.attributes td.key { color: var(--dim); width: 30%; word-break: break-all; }
.details td { word-break: break-all; white-space: pre-wrap; }
table.attributes td { padding: 4px 10px; border-bottom: 1px solid var(--line); }
table.attributes tr:hover { background: transparent; }
.svc-0 { background: #58a6ff; } .svc-1 { background: #a371f7; } .svc-2 { background: #3fc7b0; }
.svc-3 { background: #f0883e; } .svc-4 { background: #db61a2; } .svc-5 { background: #a3c94a; }
.bar-err { background: var(--err) !important; }
.summary-line { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: -6px 0 16px; color: var(--dim); }
.logline td { font-size: 12.5px; }
.logline { cursor: pointer; }
.logline.open { background: var(--accent-bg); }
.log-detail > td { background: var(--panel2); padding: 8px 18px 12px; }
.log-detail:hover { background: transparent; }
.message { max-width: 640px; }
.chip { display: inline-block; margin-left: 8px; padding: 0 7px; border-radius: 9px; background: var(--panel2); border: 1px solid var(--line); color: var(--dim); font-size: 11px; font-family: ui-monospace, monospace; }
.chip-err { color: var(--err); border-color: var(--err); }
.level { display: inline-block; min-width: 44px; text-align: center; padding: 0 6px; border-radius: 4px; font-size: 11px; font-weight: 700; text-transform: uppercase; }
.level-dim { color: var(--dim); background: var(--panel2); }
.level-warn { color: var(--warn); background: var(--warn-bg); }
.level-err { color: var(--err); background: var(--err-bg); }
.status-pill { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; background: var(--ok-bg); color: var(--ok); }
.status-pill.err { background: var(--err-bg); color: var(--err); }
.nowrap { white-space: nowrap; }
.metric-layout { display: grid; grid-template-columns: 300px 1fr; gap: 18px; align-items: start; }
.metric-list { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; max-height: 75vh; overflow: auto; }
.metric-list a { display: block; padding: 7px 12px; border-bottom: 1px solid var(--line); color: var(--text); }
.metric-list a:hover { background: var(--hover); text-decoration: none; }
.metric-list a.active { background: var(--accent-bg); box-shadow: inset 3px 0 0 var(--accent); }
.metric-list .dim { font-size: 11px; display: block; }
.metric-service { padding: 8px 12px 4px; font-size: 11px; font-weight: 700; color: var(--dim); text-transform: uppercase; letter-spacing: .4px; background: var(--panel2); border-bottom: 1px solid var(--line); }
.metric-list .mono { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
form.split { display: inline-flex; padding: 8px 12px; margin: 12px 0; }
.empty { color: var(--dim); padding: 24px 0; }
.error-message { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.error-examples { white-space: nowrap; font-size: 12px; }
.error-examples a { display: block; }
.error-count { font-weight: 600; }
`
