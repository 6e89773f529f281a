"""The report page's stylesheet, inlined into every page (no font or file from elsewhere).

System fonts only, so the page looks native on each reader's machine and needs no download.
Chart elements are styled by class here; series colours come from ``report_charts``.
"""

STYLE = """
:root {
  --ink: #17202e; --muted: #5f6b7d; --faint: #8d97a8; --line: #e4e8ef; --grid: #eef1f5;
  --paper: #ffffff; --canvas: #f3f5f9; --good: #13866f; --good-soft: #e3f5ef;
  --warn: #b86a00; --warn-soft: #fff3dc; --bad: #c93a32; --bad-soft: #fde8e6;
  --accent: #3563d9; --band: #dff3ea;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { background: var(--canvas); }
body {
  margin: 0; color: var(--ink); font-size: 15px; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased; font-variant-numeric: tabular-nums;
}
.page { max-width: 1080px; margin: 0 auto; padding: 32px 24px 48px; }
.masthead { margin-bottom: 20px; }
.brand { display: flex; align-items: center; gap: 8px; font-weight: 650; color: var(--accent);
  letter-spacing: .02em; font-size: 14px; text-transform: uppercase; }
.logo { width: 22px; height: 22px; }
.logo circle { fill: var(--accent); }
.logo path { fill: none; stroke: var(--accent); stroke-width: 1.6; opacity: .55; }
h1 { font-size: 30px; line-height: 1.2; margin: 6px 0 2px; letter-spacing: -.01em; font-weight: 700; }
.period { margin: 0; color: var(--muted); }
.status { display: inline-flex; align-items: center; gap: 10px; margin: 14px 0 0; padding: 7px 14px;
  border-radius: 999px; font-weight: 600; font-size: 14px; }
.status-ok { background: var(--good-soft); color: var(--good); }
.status-firing { background: var(--warn-soft); color: var(--warn); }
.pulse { width: 9px; height: 9px; border-radius: 50%; background: currentColor;
  box-shadow: 0 0 0 4px color-mix(in srgb, currentColor 18%, transparent); }
.kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 22px 0 16px; }
.kpi { background: var(--paper); border: 1px solid var(--line); border-radius: 14px; padding: 14px 16px;
  border-top: 3px solid var(--line); }
.kpi.good { border-top-color: var(--good); }
.kpi.bad { border-top-color: var(--bad); }
.kpi-label { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase;
  letter-spacing: .05em; }
.kpi-value { font-size: 28px; font-weight: 700; letter-spacing: -.02em; margin: 2px 0; }
.kpi-note { color: var(--faint); font-size: 13px; }
.kpi.bad .kpi-note { color: var(--bad); }
.kpi.good .kpi-note { color: var(--good); }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 16px;
  padding: 22px 24px 20px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(23, 32, 46, .04);
  break-inside: avoid; }
h2 { font-size: 18px; margin: 0 0 4px; font-weight: 650; display: flex; align-items: center; gap: 10px; }
.note { margin: 0 0 12px; color: var(--muted); font-size: 14px; max-width: 78ch; }
.chart-frame { margin-top: 8px; }
.chart { display: block; overflow: visible; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; margin: 0 0 4px;
  color: var(--muted); font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 7px; }
.legend span { display: inline-block; width: 14px; height: 10px; border-radius: 3px; }
.swatch { background: var(--accent); }
.swatch-baseline { height: 0 !important; border-top: 2px dashed var(--ink); border-radius: 0 !important; }
.swatch-drop { background: var(--bad); }
.swatch-partial { background: var(--accent); opacity: .35; }
.swatch-p50 { width: 10px !important; border-radius: 50% !important; background: var(--muted); }
.swatch-p95 { width: 11px !important; height: 11px !important; border-radius: 50% !important;
  border: 2px solid var(--muted); }
.swatch-warning { height: 0 !important; border-top: 2px dashed var(--warn); border-radius: 0 !important; }
.swatch-critical { height: 0 !important; border-top: 2px dashed var(--bad); border-radius: 0 !important; }
.dot-key { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 8px; }
/* chart text and marks */
.chart text { font-family: inherit; }
.label, .axis { fill: var(--muted); font-size: 12px; }
.muted { fill: var(--faint); font-size: 12px; }
.series-name { fill: var(--ink); font-size: 13px; font-weight: 600; }
.series-name.big { font-size: 26px; font-weight: 700; }
.series-name.small { font-size: 12px; }
.value { fill: var(--muted); font-size: 11px; paint-order: stroke; stroke: var(--paper); stroke-width: 3px;
  stroke-linejoin: round; }
.value.strong { fill: var(--ink); font-weight: 600; font-size: 12px; }
.value.drop { fill: var(--bad); font-weight: 700; }
.value.spike { fill: var(--warn); font-weight: 700; }
.bar.drop { fill: var(--bad); }
.bar.spike { fill: var(--warn); }
.bar.partial { fill: var(--accent); opacity: .35; }
.baseline { fill: none; stroke: var(--ink); stroke-width: 1.6; stroke-dasharray: 5 4; opacity: .7; }
.baseline-axis { stroke: var(--line); stroke-width: 1; }
.grid { stroke: var(--grid); stroke-width: 1; }
.target-band { fill: var(--band); }
.band-label { fill: var(--good); font-size: 12px; font-weight: 600; }
.warning-line { stroke: var(--bad); stroke-width: 1.6; stroke-dasharray: 6 4; }
.warning-label { fill: var(--bad); font-size: 12px; font-weight: 600; }
.series { fill: none; stroke-width: 2.5; stroke-linejoin: round; stroke-linecap: round; }
.dot { fill: var(--paper); stroke-width: 2.5; }
.dot.below { fill: var(--bad); stroke: var(--bad) !important; }
.latency-warning { stroke: var(--warn); stroke-width: 1.2; stroke-dasharray: 5 4; }
.latency-critical { stroke: var(--bad); stroke-width: 1.2; stroke-dasharray: 5 4; }
.latency-warning-label { fill: var(--warn); font-size: 12px; font-weight: 600; }
.latency-critical-label { fill: var(--bad); font-size: 12px; font-weight: 600; }
.range { stroke-width: 4; stroke-linecap: round; opacity: .35; }
.p95 { fill: var(--paper); stroke-width: 2.5; }
.latency-day.warning .p95 { stroke: var(--warn) !important; }
.latency-day.critical .p95 { stroke: var(--bad) !important; }
.layer.browser { fill: #8da9ec; }
.layer.server { fill: var(--accent); }
.layer.crm { fill: #17202e; }
.now { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 2 3; }
.alert-span.warning { fill: var(--warn); }
.alert-span.critical { fill: var(--bad); }
.alert-span.resolved { opacity: .45; }
.empty-frame { fill: var(--canvas); stroke: var(--line); stroke-dasharray: 6 5; }
.empty-text { fill: var(--muted); font-size: 15px; }
/* tables */
.table-frame { overflow-x: auto; margin-top: 14px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; padding: 8px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
.nowrap { white-space: nowrap; }
td { padding: 9px 10px; border-bottom: 1px solid var(--grid); vertical-align: middle; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: #f8f9fc; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 700;
  letter-spacing: .03em; vertical-align: 1px; }
.badge.pass { background: var(--good-soft); color: var(--good); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.crit { background: var(--bad-soft); color: var(--bad); }
.badge.unknown { background: var(--grid); color: var(--muted); }
footer { color: var(--faint); font-size: 13px; text-align: center; margin-top: 28px; }
@media (max-width: 820px) { .kpis { grid-template-columns: repeat(2, 1fr); } }
@media print { html { background: white; } .card { box-shadow: none; } }
"""
