/** The dashboard page's stylesheet (inlined; the page loads nothing else). */
export const PAGE_STYLE = `
:root {
  color-scheme: dark;
  --bg: #0d1117; --panel: #161b22; --line: #30363d; --text: #e6edf3; --muted: #8b949e;
  --closed: #2ea043; --open: #da3633; --half-open: #d29922; --isolated: #8957e5;
  --disabled: #6e7681; --metrics-only: #388bfd;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.top { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 12px 20px;
  border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 1; }
header.top h1 { font-size: 18px; margin: 0 12px 0 0; }
#summary { color: var(--muted); }
#status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; border: 1px solid var(--line); }
#status.live { color: var(--closed); border-color: var(--closed); }
#status.reconnecting, #status.closed { color: var(--half-open); border-color: var(--half-open); }
input { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 10px; font: inherit; }
#filter { width: 240px; }
main { padding: 16px 20px; display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 20px; }
@media (max-width: 1000px) { main { grid-template-columns: 1fr; } }
#breakers { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; align-content: start; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--state);
  border-radius: 8px; padding: 10px 12px; --state: var(--muted); }
.card[data-state="closed"] { --state: var(--closed); }
.card[data-state="open"] { --state: var(--open); }
.card[data-state="half-open"] { --state: var(--half-open); }
.card[data-state="isolated"] { --state: var(--isolated); }
.card[data-state="disabled"] { --state: var(--disabled); }
.card[data-state="metrics-only"] { --state: var(--metrics-only); }
.card .head { display: flex; align-items: center; gap: 8px; }
.card .name { font-weight: 600; font-size: 15px; margin: 0; overflow-wrap: anywhere; flex: 1; }
.badge { background: var(--state); color: #fff; border-radius: 10px; padding: 1px 9px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.meta { color: var(--muted); font-size: 12px; margin: 2px 0 6px; }
svg.spark { width: 100%; height: 40px; display: block; background: var(--bg); border-radius: 4px; }
svg.spark .calls { fill: rgba(56, 139, 253, 0.25); stroke: #388bfd; stroke-width: 1; }
svg.spark .bad { fill: none; stroke: var(--open); stroke-width: 1.5; }
.legend { color: var(--muted); font-size: 11px; margin: 2px 0 6px; }
dl.stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 4px 8px; margin: 0; }
dl.stats div { min-width: 0; }
dl.stats dt { color: var(--muted); font-size: 11px; }
dl.stats dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
.totals { color: var(--muted); font-size: 12px; margin-top: 6px; font-variant-numeric: tabular-nums; }
.actions { margin-top: 8px; display: flex; gap: 8px; }
button { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px;
  padding: 4px 12px; font: inherit; cursor: pointer; }
button:hover { border-color: var(--muted); }
aside h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.05em; }
#transitions { list-style: none; margin: 0; padding: 0 4px 0 0; max-height: calc(100vh - 130px); overflow-y: auto; }
#transitions li { border-bottom: 1px solid var(--line); padding: 6px 0; font-size: 13px; }
#transitions .when { color: var(--muted); font-size: 12px; float: right; }
#transitions .who { font-weight: 600; overflow-wrap: anywhere; }
#transitions .why, #transitions .note { color: var(--muted); font-size: 12px; }
.to-closed { color: var(--closed); } .to-open { color: var(--open); } .to-half-open { color: var(--half-open); }
.to-isolated { color: var(--isolated); } .to-disabled { color: var(--disabled); } .to-metrics-only { color: var(--metrics-only); }
#policies { margin-top: 16px; }
#policies h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.05em; }
#policies table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; font-size: 13px; }
#policies th { text-align: left; color: var(--muted); font-weight: 400; font-size: 12px; }
#policies th, #policies td { padding: 5px 10px; border-bottom: 1px solid var(--line); }
#policies td.name { font-weight: 600; overflow-wrap: anywhere; }
#policies td.kind { color: var(--muted); }
#policies td.counts { font-variant-numeric: tabular-nums; }
#policies .count.warn { color: var(--half-open); font-weight: 600; }
#empty, #message { color: var(--muted); }
select { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; font: inherit; }
#summary button.count { padding: 1px 8px; border-radius: 10px; font-size: 13px; }
#summary .count.hot.c-open { color: var(--open); border-color: var(--open); }
#summary .count.hot.c-half-open, #summary .count.hot.c-failing, #summary .count.hot.c-slow { color: var(--half-open); border-color: var(--half-open); }
#summary .count.hot.c-isolated { color: var(--isolated); border-color: var(--isolated); }
nav.pager { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 0 0 12px; color: var(--muted); }
nav.pager button:disabled { opacity: 0.4; cursor: default; }
#rest { margin-left: auto; }
#message:empty { display: none; }
#instances { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 10px 20px 0; color: var(--muted); }
#instances[hidden] { display: none; }
#instances .instance { border: 1px solid var(--closed); border-radius: 10px; padding: 2px 10px; font-size: 13px; }
#instances .instance b { color: var(--text); margin-right: 2px; }
#instances .instance.degraded { border-color: var(--half-open); color: var(--half-open); }
#instances .instance.gone { border-color: var(--disabled); border-style: dashed; opacity: 0.7; }
#instances .instance.error { border-color: var(--open); color: var(--open); }
ul.on-instances { list-style: none; margin: 0 0 6px; padding: 0; font-size: 12px; }
ul.on-instances li { padding: 2px 0; border-top: 1px solid var(--line); }
ul.on-instances .label { font-weight: 600; }
ul.on-instances .notes { color: var(--muted); }
`;
