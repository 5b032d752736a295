// The import-like nodes of one file (import, export-from, import(), import type), with their
// literal specifier: what the project's import rules look at.

/** ESLint visitors calling `check(node, specifier, literal)` for every literal import in a file. */
export function visitImports(check) {
  const literal = (node, source) => {
    if (source?.type === 'Literal' && typeof source.value === 'string') check(node, source.value, source);
  };
  return {
    ImportDeclaration: (node) => literal(node, node.source),
    ExportNamedDeclaration: (node) => literal(node, node.source),
    ExportAllDeclaration: (node) => literal(node, node.source),
    ImportExpression: (node) => literal(node, node.source),
    TSImportType: (node) => literal(node, node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
  };
}
