// The console's only script: keeps pages current through Server-Sent Events (/events).
// Plain DOM code, bundled by scripts/bundle-cli.mjs into tasker-ui; the pages work without it.

interface Slot { name: string; task: string; sinceMs: number }
interface AgentLoad { name: string; busy: number; max?: number; load?: number }
interface LiveState {
  agents?: AgentLoad[];
  id: string; status: string; done: number; total?: number; failed: number; exitCode?: number;
  durationSeconds?: number; etaSeconds?: number; slots: Slot[]; failures: string[];
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function duration(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function progress(st: LiveState): string {
  if (!st.total) return '';
  const d = Math.min(st.done, st.total);
  const failed = st.failed ? ` · <span class="failed">${st.failed} failed</span>` : '';
  return `<span class="progress"><span class="bar" style="width:${Math.round((d / st.total) * 100)}%"></span><span class="label"><span class="done">${d}</span>/${st.total}${failed}</span></span>`;
}

function set(root: ParentNode, selector: string, markup: string): void {
  root.querySelectorAll(selector).forEach((el) => {
    if (el.innerHTML !== markup) el.innerHTML = markup;
  });
}

function applyRun(st: LiveState): void {
  // A run page whose run just ended is shown again whole: graph, timeline and log as recorded.
  const facts = document.querySelector<HTMLElement>(`dl.facts[data-run-id="${st.id}"]`);
  if (facts?.dataset.status === 'running' && st.status !== 'running' && document.querySelector('svg.graph')) {
    location.reload();
    return;
  }
  document.querySelectorAll(`[data-run-id="${st.id}"]`).forEach((el) => {
    (el as HTMLElement).dataset.status = st.status;
    set(el, '.status', `<span class="badge ${esc(st.status)}">${esc(st.status)}</span>`);
    set(el, '.exit', st.exitCode === undefined ? '' : String(st.exitCode));
    set(el, '.duration', duration(st.durationSeconds));
    set(el, '.progress-cell', progress(st));
    set(el, '.eta', st.etaSeconds === undefined ? '' : `ETA ${duration(st.etaSeconds)}`);
    set(el, '.slots', st.slots.map((s) => `<li><b>${esc(s.name)}</b> ${esc(s.task)}</li>`).join(''));
    set(el, '.agents', (st.agents ?? []).map((a) => `<li>${esc(`${a.name}: ${a.busy}${a.max ? `/${a.max}` : ''} busy${a.load !== undefined ? `, load ${a.load.toFixed(2)}` : ''}`)}</li>`).join(''));
    set(el, '.failures', st.failures.map((f) => `<li>${esc(f)}</li>`).join(''));
  });
  document.body.dataset.lastEvent = String(Date.now());
}

async function addRows(ids: string[]): Promise<void> {
  const body = document.querySelector('table[data-live="runs"] tbody');
  if (!body || location.search.length > 1) return;
  for (const id of ids.slice().reverse()) {
    if (document.querySelector(`tr[data-run-id="${id}"]`)) continue;
    const res = await fetch(`/row/${id}`);
    if (!res.ok) continue;
    body.insertAdjacentHTML('afterbegin', await res.text());
    const count = document.getElementById('run-count');
    if (count) count.textContent = String(Number(count.textContent) + 1);
  }
}

function connect(): void {
  const source = new EventSource('/events');
  const state = document.getElementById('live-state');
  source.onopen = () => state?.classList.add('on');
  source.onerror = () => state?.classList.remove('on');
  source.addEventListener('run', (e) => {
    const st = JSON.parse((e as MessageEvent<string>).data) as LiveState;
    if (document.querySelector('[data-live="live"]') && !document.querySelector(`[data-run-id="${st.id}"]`) && st.status === 'running') location.reload();
    applyRun(st);
  });
  source.addEventListener('runs', (e) => {
    void addRows((JSON.parse((e as MessageEvent<string>).data) as { newest: string[] }).newest);
  });
}

connect();
