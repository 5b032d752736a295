// tasker/no-bare-exit-code: exit codes are named constants from shared/exit-codes.ts. A number
// literal passed to process.exit(), assigned to process.exitCode or to an `exitCode`/`exit_code`
// field or variable, is an error; so is one in a branch of `?:`, `??` or `||` on the way there.

/** The field and variable names that hold an exit code. */
const EXIT_NAMES = new Set(['exitCode', 'exit_code']);

function nameOf(node) {
  if (node?.type === 'Identifier') return node.name;
  if (node?.type === 'Literal' && typeof node.value === 'string') return node.value;
  return undefined;
}

function isExitTarget(node) {
  if (node.type === 'Identifier') return EXIT_NAMES.has(node.name);
  if (node.type === 'MemberExpression') return !node.computed ? EXIT_NAMES.has(node.property.name) : EXIT_NAMES.has(nameOf(node.property));
  return false;
}

/** The number literals that `value` can evaluate to directly (through ?:, ??, ||, `as`, parentheses). */
function bareNumbers(value) {
  if (!value) return [];
  switch (value.type) {
    case 'Literal':
      return typeof value.value === 'number' ? [value] : [];
    case 'UnaryExpression':
      return value.operator === '-' && value.argument.type === 'Literal' && typeof value.argument.value === 'number' ? [value] : [];
    case 'ConditionalExpression':
      return [...bareNumbers(value.consequent), ...bareNumbers(value.alternate)];
    case 'LogicalExpression':
      return [...bareNumbers(value.left), ...bareNumbers(value.right)];
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
      return bareNumbers(value.expression);
    default:
      return [];
  }
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Exit codes are named constants from shared/exit-codes.ts, never bare numbers' },
    schema: [],
    messages: {
      bare: '{{where}} gets the bare exit code {{value}}: use a named constant from shared/exit-codes.ts (ExitCode, ParallelrExit, TaskExit), adding one there if none fits.',
    },
  },
  create(context) {
    const report = (value, where) => {
      for (const node of bareNumbers(value)) {
        context.report({ node, messageId: 'bare', data: { where, value: context.sourceCode.getText(node) } });
      }
    };
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'process' && nameOf(callee.property) === 'exit') {
          report(node.arguments[0], 'process.exit()');
        }
      },
      AssignmentExpression(node) {
        if (isExitTarget(node.left)) report(node.right, context.sourceCode.getText(node.left));
      },
      VariableDeclarator(node) {
        if (isExitTarget(node.id)) report(node.init, node.id.name);
      },
      Property(node) {
        if (!node.computed && EXIT_NAMES.has(nameOf(node.key)) && node.parent.type === 'ObjectExpression') report(node.value, `field ${nameOf(node.key)}`);
      },
      PropertyDefinition(node) {
        if (!node.computed && EXIT_NAMES.has(nameOf(node.key))) report(node.value, `field ${nameOf(node.key)}`);
      },
    };
  },
};
