/** The console's stylesheet (served as /assets/console.css; no external fonts or files). */
export const CONSOLE_CSS = `
:root { --ok:#2e9d4d; --failed:#d0392b; --running:#2872c8; --skipped:#8a949e; --bg:#f7f8fa; --line:#d9dde3; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif; color:#1d232b; background:var(--bg); }
header { display:flex; gap:18px; align-items:center; padding:10px 20px; background:#1f2a37; color:#fff; }
header nav a { color:#c9d6e3; margin-right:14px; text-decoration:none; }
header nav a.current { color:#fff; border-bottom:2px solid #6fb1ff; }
#live-state { margin-left:auto; color:#777; font-size:12px; } #live-state.on { color:#4cd37a; }
main { padding:16px 20px 40px; }
h1 { font-size:20px; margin:4px 0 12px; } h1 .file { font-family:ui-monospace, "Liberation Mono", monospace; font-size:16px; }
h2 { font-size:16px; margin:22px 0 8px; } h4 { margin:10px 0 4px; }
table { border-collapse:collapse; background:#fff; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; font-weight:600; }
table.runs { table-layout:fixed; } table.runs td { overflow:hidden; text-overflow:ellipsis; }
table.runs th:nth-child(1) { width:170px; } table.runs td.time { white-space:nowrap; } table.runs th:nth-child(2) { width:80px; } table.runs th:nth-child(3) { width:72px; }
table.runs th:nth-child(5) { width:90px; } table.runs th:nth-child(6) { width:90px; } table.runs th:nth-child(7) { width:48px; } table.runs th:nth-child(8) { width:200px; }
td.file, td.cmd { font-family:ui-monospace, "Liberation Mono", monospace; word-break:break-all; }
a { color:#1f5fa8; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; color:#fff; background:var(--skipped); }
.badge.success { background:var(--ok); } .badge.failed { background:var(--failed); } .badge.running { background:var(--running); }
.filters { display:flex; gap:14px; align-items:end; margin-bottom:8px; } .filters label { display:flex; flex-direction:column; font-size:12px; }
.filters input, .filters select { font:inherit; padding:3px 6px; }
.progress { position:relative; display:inline-block; width:180px; height:18px; background:#e3e8ee; border-radius:4px; overflow:hidden; vertical-align:middle; }
.progress .bar { position:absolute; left:0; top:0; bottom:0; background:#8cc4ff; transition:width .2s; }
.progress .label { position:relative; font-size:12px; padding-left:6px; } .progress .failed, .failure { color:var(--failed); }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; background:#fff; padding:10px 14px; border:1px solid var(--line); }
dl.facts dt { color:#5b6673; } dl.facts dd { margin:0; }
.graph-wrap { overflow:auto; background:#fff; border:1px solid var(--line); padding:8px; }
svg.graph text { font:12px ui-monospace, "Liberation Mono", monospace; fill:#1d232b; }
svg.graph .node rect { fill:#f0f2f5; stroke:#b5bdc7; stroke-width:1.2; }
svg.graph .node.not-run { opacity:.55; } svg.graph .node.not-run rect { stroke-dasharray:4 3; }
svg.graph .node.ok rect { fill:#d7f2df; stroke:var(--ok); stroke-width:2.5; }
svg.graph .node.failed rect { fill:#f9d9d5; stroke:var(--failed); stroke-width:2.5; }
svg.graph .node.skipped rect { fill:#eceff2; stroke:var(--skipped); stroke-dasharray:2 3; }
svg.graph .node.end-reached rect { fill:#dbe9fb; stroke:var(--running); stroke-width:2.5; }
svg.graph .node .title { font-weight:700; } svg.graph text.runs { fill:#b35c00; font-weight:700; }
svg.graph .edge path { fill:none; stroke:#aab3bd; stroke-width:1.2; } svg.graph .edge text { font-size:10.5px; fill:#6b7682; }
svg.graph .edge.false path { stroke-dasharray:5 3; } svg.graph .edge.sub path { stroke-dasharray:2 3; }
svg.graph .edge.taken path { stroke:var(--running); stroke-width:3.5; } svg.graph .edge.taken text { fill:#174f8f; font-weight:700; }
svg.graph marker path { fill:#6b7682; }
.legend span { display:inline-block; padding:0 8px; margin-right:6px; border-radius:3px; font-size:12px; border:1px solid #ccc; }
.legend .ok { background:#d7f2df; } .legend .failed { background:#f9d9d5; } .legend .skipped { background:#eceff2; } .legend .not-run { opacity:.6; } .legend .taken { border:2px solid var(--running); }
table.timeline td.lane { width:35%; } .lane .span { display:block; height:12px; border-radius:3px; background:var(--ok); }
.lane .span.failed { background:var(--failed); } .lane .span.skipped { background:var(--skipped); }
tr.failed td:first-child { border-left:3px solid var(--failed); }
details.task { background:#fff; border:1px solid var(--line); margin:6px 0; padding:6px 10px; }
pre { background:#111820; color:#dfe6ee; padding:8px 10px; overflow:auto; max-height:420px; font-size:12px; white-space:pre-wrap; word-break:break-all; }
pre.stderr { color:#ffb4a9; }
.decisions ul { margin:4px 0; padding-left:18px; font-family:ui-monospace, "Liberation Mono", monospace; }
.decisions .kind { color:#6b7682; } .decisions .route { color:#174f8f; font-weight:600; }
.note { color:#5b6673; } ul.slots, ul.failures { margin:4px 0; padding-left:18px; font-family:ui-monospace, monospace; font-size:12px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(360px, 1fr)); gap:12px; }
.card { background:#fff; border:1px solid var(--line); padding:10px 14px; }
`;
