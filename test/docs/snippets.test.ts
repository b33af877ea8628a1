// Docs never carry prose-only code. Every ```ts block of the README and the guide is preceded by
// `<!-- snippet: docs/examples/… -->` naming the file it is cut from, which CI type-checks and runs
// (test/docs/*.int.test.ts); the block must stand in that file line for line (indentation aside),
// and every name the file declares that a block uses must be declared in a block of the same doc
// cut from that file: a reader who pastes the blocks gets the helpers too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Block {
  readonly index: number;
  readonly source: string | undefined;
  readonly code: string;
}

/** Trimmed non-empty lines; a block's leading `// file.ts` label names the file and is not code. */
function lines(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^\/\/ [\w.-]+\.ts$/.test(line));
}

/** Every fenced block of TypeScript or JavaScript, with the snippet marker on the line before it, if any. */
function blocks(markdown: string): Block[] {
  const fences = /(?:<!-- snippet: (\S+) -->\n)?```(ts|typescript|js|javascript|tsx)\n([\s\S]*?)```/g;
  return [...markdown.matchAll(fences)].map((match, index) => ({ index: index + 1, source: match[1], code: match[3]! }));
}

/** Top-level names a module declares (imports aside), each with the first line of its statement. */
function declarations(file: string): Map<string, string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = new Map<string, string>();
  const firstLine = (node: ts.Node): string => node.getText(source).split('\n')[0]!.trim();
  const bind = (name: ts.BindingName, statement: ts.Node): void => {
    if (ts.isIdentifier(name)) found.set(name.text, firstLine(statement));
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name, statement);
  };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name, statement);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name
    ) {
      found.set(statement.name.text, firstLine(statement));
    }
  }
  return found;
}

/**
 * Names a block reads from outside itself: not property names, and not names it binds anywhere
 * (a parameter `({ context })` hides the file's `context`; no scopes, which is enough for docs).
 * Fragments parse leniently.
 */
function uses(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true);
  const read = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const parent: ts.Node = node.parent;
      const isName = (parent as { name?: ts.Node }).name === node;
      const binds = ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent) ||
        ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent) || ts.isTypeAliasDeclaration(parent);
      if (isName && binds) bound.add(node.text);
      const named = isName && !ts.isShorthandPropertyAssignment(parent);
      const qualified = ts.isQualifiedName(parent) && parent.right === node;
      const label = ts.isLabeledStatement(parent) && parent.label === node;
      if (!named && !qualified && !label) read.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return new Set([...read].filter((name) => !bound.has(name)));
}

describe.each(['README.md', 'docs/guide.md'])('%s', (doc) => {
  const found = blocks(readFileSync(join(root, doc), 'utf8'));
  const cases = found.map((block) => [block.index, block] as const);

  it('has code blocks', () => {
    expect(found.length).toBeGreaterThan(0);
  });

  it.each(cases)('block %i names a file under docs/examples/ and is cut from it', (_, block) => {
    expect(block.source, `block ${block.index} has no <!-- snippet: docs/examples/… --> line before it:\n${block.code}`).toMatch(/^docs\/examples\/.+\.ts$/);
    const file = join(root, block.source!);
    expect(existsSync(file), `${block.source} does not exist`).toBe(true);
    const text = `\n${lines(readFileSync(file, 'utf8')).join('\n')}\n`;
    const cut = lines(block.code).join('\n');
    expect(text.includes(`\n${cut}\n`), `block ${block.index} drifted from ${block.source}:\n${cut}`).toBe(true);
  });

  it.each(cases)('block %i shows every helper of its file it uses', (_, block) => {
    const declared = declarations(join(root, block.source!));
    const shown = found.filter((other) => other.source === block.source).flatMap((other) => lines(other.code));
    const isShown = (firstLine: string): boolean => shown.some((line) => line.startsWith(firstLine));
    const missing = [...uses(block.code)].filter((name) => declared.has(name) && !isShown(declared.get(name)!));
    expect(missing, `block ${block.index} uses names of ${block.source} that no block of ${doc} declares`).toEqual([]);
  });
});
