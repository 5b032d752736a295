import test from 'ava';
import { addSecretNames, isSecretName } from '../../../shared/taskfile/secret-names.js';
import { secretNamesFromConfig } from '../../../shared/config/secrets-config.js';

const SECRET = [
  'DB_PASS', 'MYSQL_PWD', 'PASSPHRASE', 'CREDENTIALS', 'db_password', 'api_secret', 'GITHUB_TOKEN', 'PRIVATE_CERT',
  'ssh_key', 'API_KEY', 'APIKEY_PROD', 'API_KEY_PROD', 'MASK_ME', 'HIDE_THIS', 'aws_credential_file', 'PASSWD',
];
const PLAIN = ['HOST', 'KEYBOARD', 'KEY_NAME', 'USER', 'TARGET', 'MONKEY', 'PORT'];

for (const name of SECRET) test(`${name} is a secret name`, (t) => t.true(isSecretName(name)));
for (const name of PLAIN) test(`${name} is not a secret name`, (t) => t.false(isSecretName(name)));

test.serial('the config adds patterns to the built-in list (case-insensitive), and replacing them keeps the built-ins', (t) => {
  t.false(isSecretName('DEPLOY_CODE'));
  addSecretNames(['DEPLOY_CODE', '*_pin']);
  t.true(isSecretName('deploy_code'));
  t.true(isSecretName('CARD_PIN'));
  t.true(isSecretName('DB_PASS'));
  t.false(isSecretName('DEPLOY_CODES'));
  addSecretNames([]);
  t.false(isSecretName('CARD_PIN'));
  t.true(isSecretName('DB_PASS'));
});

test('secrets.names is read from the config; a bad entry is an error naming the key', (t) => {
  t.deepEqual(secretNamesFromConfig({ secrets: { names: ['DEPLOY_CODE', '*_PIN'] } }), { names: ['DEPLOY_CODE', '*_PIN'], diagnostics: [] });
  const bad = secretNamesFromConfig({ secrets: { names: ['OK', 'not a name'] } });
  t.deepEqual(bad.names, ['OK']);
  t.is(bad.diagnostics.length, 1);
  t.regex(bad.diagnostics[0]!.message, /^secrets\.names\[1\] must be a variable name or a pattern .*got `not a name`/);
  t.regex(secretNamesFromConfig({ secrets: ['X'] }).diagnostics[0]!.message, /^secrets must be a mapping/);
});
