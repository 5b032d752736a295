/** The console's HTTP(S) server: read-only GET routes over the run index, the live feed and the fleet. */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { maskSecrets } from '../../shared/taskfile/variables.js';
import { consoleAsset } from './assets.js';
import type { ConsoleArgs } from './console-args.js';
import type { FleetView } from './fleet.js';
import { LiveFeed } from './live-feed.js';
import { renderFleetPage } from './pages/fleet-page.js';
import { layout } from './pages/layout.js';
import { renderLivePage } from './pages/live-page.js';
import { readLogPage } from './pages/log-page.js';
import { renderRunPage } from './pages/run-page.js';
import { renderRunsPage, runRow } from './pages/runs-page.js';
import { renderSessionPage } from './pages/session-page.js';
import { html } from './html.js';
import { loadRunDetail } from './run-detail.js';
import { RunIndex } from './run-index.js';

export interface ConsoleServer {
  server: Server;
  index: RunIndex;
  feed: LiveFeed;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(body);
}

export function createConsoleServer(args: ConsoleArgs, fleet?: FleetView): ConsoleServer {
  const index = new RunIndex(args.base);
  const feed = new LiveFeed(index, { extra: fleet ? (s) => fleet.decorate(s, index.get(s.id)?.natsRunId) : undefined });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'tasker-ui: this page could not be rendered\n');
      else res.end();
    });
  };
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'the console is read-only\n');
    const url = new URL(req.url ?? '/', 'http://console');
    const p = url.pathname;
    const asset = consoleAsset(p);
    if (asset) return send(res, 200, asset.type, asset.body);
    if (p === '/events') return feed.attach(req, res);
    index.refresh();
    if (p === '/') return send(res, 200, 'text/html; charset=utf-8', renderRunsPage(index, url.searchParams));
    if (p === '/live') return send(res, 200, 'text/html; charset=utf-8', renderLivePage(index, feed));
    if (p === '/fleet') return send(res, 200, 'text/html; charset=utf-8', await renderFleetPage(fleet));
    const m = /^\/(run|row)\/([A-Za-z0-9_-]+)(\/log)?$/.exec(p);
    const run = m ? index.get(m[2]!) : undefined;
    if (!m || !run) return send(res, 404, 'text/html; charset=utf-8', layout('Not found', undefined, html`<h1>Not found</h1><p>No run or page at <code>${p}</code>. <a href="/">All runs</a></p>`));
    if (m[1] === 'row') return send(res, 200, 'text/html; charset=utf-8', runRow(run).text);
    if (m[3] && run.logFile) {
      const detail = loadRunDetail(run);
      const task = url.searchParams.get('task') ?? undefined;
      if (task !== undefined && !/^\d{1,9}(?:[.-]\d{1,9})?$/.test(task)) return send(res, 400, 'text/plain; charset=utf-8', 'task must be a result key: N, N.K or N-M\n');
      const from = Math.max(0, Number(url.searchParams.get('from')) || 0);
      const page = readLogPage(run.logFile, { from, task, mask: (s) => maskSecrets(s, detail.secrets), href: `/run/${run.id}/log` });
      return send(res, 200, 'text/html; charset=utf-8', layout('Log', undefined, html`<h1>Log <a href="/run/${run.id}">${run.file}</a></h1>${page}`));
    }
    if (run.kind === 'parallelr') return send(res, 200, 'text/html; charset=utf-8', renderSessionPage(run, feed.stateOf(run.id), url.searchParams));
    return send(res, 200, 'text/html; charset=utf-8', renderRunPage(loadRunDetail(run)));
  };
  const server = args.tls
    ? createHttpsServer({ cert: readFileSync(args.tls.cert), key: readFileSync(args.tls.key), ca: readFileSync(args.tls.ca), requestCert: true, rejectUnauthorized: true }, handler)
    : createHttpServer(handler);
  return {
    server, index, feed,
    close: () => new Promise((resolve) => {
      feed.close();
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
