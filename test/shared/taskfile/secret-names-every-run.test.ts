/** keepEverySecretName (a NATS agent running task files of several runs in one process): no config's secret names are dropped. */
import test from 'ava';
import { addSecretNames, isSecretName, keepEverySecretName } from '../../../shared/taskfile/secret-names.js';

test('after keepEverySecretName each config adds its patterns and a later config drops none', (t) => {
  addSecretNames(['FIRST_CODE']);
  addSecretNames(['SECOND_CODE']);
  t.false(isSecretName('FIRST_CODE'), 'by default a config replaces the previous one');
  keepEverySecretName();
  addSecretNames(['RUN_A_CODE']);
  addSecretNames(['RUN_B_PIN']);
  addSecretNames([]);
  for (const name of ['SECOND_CODE', 'RUN_A_CODE', 'run_b_pin', 'DB_PASS']) t.true(isSecretName(name), name);
  t.false(isSecretName('FIRST_CODE'));
  t.false(isSecretName('PLAIN_VALUE'));
});
