/**
 * Undo the `tasker` bin's shebang, which starts Node with NODE_EXTRA_CA_CERTS moved aside:
 *
 *   #!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TASKER_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
 *
 * Node 20 reads and parses every certificate of NODE_EXTRA_CA_CERTS before it runs any script:
 * with a distribution's full bundle (/etc/ssl/certs/ca-certificates.crt) that is ~80 ms of a
 * ~125 ms start on the reference machine, paid by every `tasker` run. The tasker process never
 * uses Node's default CA store: its only TLS peers are agents, checked against the CA named in
 * the config (`tls.ca`), and an explicit CA replaces the default store, extra certificates and
 * all. So nothing here needs the certificates, and the commands tasker starts must still see the
 * variable exactly as the operator set it: this module puts it back before anything reads the
 * environment (it is the entry's first import, so it runs first).
 *
 * Started as `node tasker.js` (no shebang), neither variable is touched and Node behaves as usual.
 */
const moved = process.env.TASKER_NODE_EXTRA_CA_CERTS;
if (moved !== undefined) {
  delete process.env.TASKER_NODE_EXTRA_CA_CERTS;
  // env -S expands an unset variable to the empty string; an empty value means nothing to Node.
  if (moved !== '') process.env.NODE_EXTRA_CA_CERTS = moved;
}
