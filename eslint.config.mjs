// Lint: formatting as the code is written, and the import rules that keep the layers apart.
// `npm run lint` (part of `npm test`); docs/architecture.md, "Lint", says what each rule guards.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import stylistic from '@stylistic/eslint-plugin';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import tasker from './scripts/eslint/plugin.mjs';

const SOURCES = ['shared/**/*.ts', 'core/**/*.ts', 'controller/**/*.ts', 'agent/**/*.ts'];
const GENERATED = ['shared/proto/generated/**'];

const formatting = {
  '@stylistic/indent': ['error', 2, { flatTernaryExpressions: true, ignoredNodes: ['TSUnionType', 'TSUnionType TSTypeLiteral *', 'TSUnionType TSTypeLiteral', 'ConditionalExpression'] }],
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
  '@stylistic/semi': ['error', 'always'],
  '@stylistic/semi-spacing': 'error',
  '@stylistic/comma-dangle': ['error', 'always-multiline'],
  '@stylistic/comma-spacing': 'error',
  '@stylistic/comma-style': 'error',
  '@stylistic/eol-last': 'error',
  '@stylistic/no-trailing-spaces': 'error',
  '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
  '@stylistic/no-tabs': 'error',
  '@stylistic/linebreak-style': ['error', 'unix'],
  '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
  '@stylistic/padded-blocks': ['error', 'never'],
  '@stylistic/block-spacing': 'error',
  '@stylistic/keyword-spacing': 'error',
  '@stylistic/space-before-blocks': 'error',
  '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
  '@stylistic/space-in-parens': 'error',
  '@stylistic/space-infix-ops': 'error',
  '@stylistic/key-spacing': 'error',
  '@stylistic/arrow-spacing': 'error',
  '@stylistic/arrow-parens': ['error', 'always'],
  '@stylistic/no-multi-spaces': 'error',
  '@stylistic/quote-props': ['error', 'as-needed'],
  '@stylistic/member-delimiter-style': 'error',
  '@stylistic/type-annotation-spacing': 'error',
  '@stylistic/spaced-comment': ['error', 'always'],
  eqeqeq: ['error', 'always', { null: 'ignore' }],
  'no-var': 'error',
  'prefer-const': 'error',
};

// Which side may import which: shared/ is the contract both sides use; core/ (the run engine, which
// both sides run) sits on shared/; neither side imports the other.
const layers = [
  { target: './shared', from: ['./core', './controller', './agent'], message: 'shared/ is the contract both sides use: it imports neither core/, controller/ nor agent/.' },
  { target: './core', from: ['./controller', './agent'], message: 'core/ runs on both sides: it imports only shared/ and core/ (the controller hands it what it needs, e.g. RemotePlacement).' },
  { target: './agent', from: './controller', message: 'agent/ never imports controller/: move what both need into shared/.' },
  { target: './controller', from: './agent', message: 'controller/ never imports agent/: move what both need into shared/.' },
];

/** The config for the tree at `root` (tests lint small trees of their own with it). */
export function createConfig(root) {
  return [
    // tmp/: scratch, not in git.
    { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'tmp/**', ...GENERATED] },
    {
      files: ['**/*.ts', 'scripts/**/*.mjs', 'eslint.config.mjs'],
      languageOptions: { parser: tseslint.parser },
      linterOptions: { reportUnusedDisableDirectives: 'error' },
      plugins: { '@stylistic': stylistic },
      rules: formatting,
    },
    {
      files: SOURCES,
      plugins: { 'import-x': importX, tasker },
      settings: {
        'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] }, extensions: ['.ts', '.js', '.json'] })],
      },
      rules: {
        'import-x/no-restricted-paths': ['error', { basePath: root, zones: layers }],
        'tasker/no-import-cycle': ['error', { root }],
        'tasker/import-through-index': ['error', { root }],
        'tasker/no-bare-exit-code': 'error',
        'no-restricted-syntax': ['error', {
          selector: "CallExpression:matches([callee.name=/^mkdir(Sync)?$/], [callee.property.name=/^mkdir(Sync)?$/]) > ObjectExpression > Property[key.name='recursive'][value.value=true]",
          message: 'a recursive mkdir loops for ever where a filesystem refuses new directories with ENOENT (/proc, automounts): use makeDirs (shared/make-dirs.ts)',
        }],
      },
    },
  ];
}

export default createConfig(dirname(fileURLToPath(import.meta.url)));
