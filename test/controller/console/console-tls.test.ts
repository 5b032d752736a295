import test from 'ava';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createPki } from '../../helpers/agent-process.js';
import { makeBase, startConsole } from './console-helpers.js';

/** GET over HTTPS with an optional client certificate: the status, or the error's code. */
function get(url: string, ca: string, client?: { cert: string; key: string }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { ca: readFileSync(ca), ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

test('with TLS a non-loopback --listen is served, and only to clients with a certificate from --tls-ca', async (t) => {
  const pki = await createPki();
  const ui = await startConsole(makeBase(), ['--listen', '0.0.0.0:0', '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key, '--tls-ca', pki.ca]);
  try {
    t.regex(ui.url, /^https:\/\/0\.0\.0\.0:\d+\/$/);
    const url = ui.url.replace('0.0.0.0', '127.0.0.1');
    t.is(await get(url, pki.ca, pki.controller), 200);
    t.not(await get(url, pki.ca), 200, 'no client certificate');
    t.not(await get(url, pki.ca, pki.foreign), 200, 'a certificate from another CA');
  } finally {
    await ui.stop();
  }
});
