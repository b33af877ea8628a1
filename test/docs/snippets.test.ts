// Docs never carry prose-only code: every ```ts block of the README and the guide must stand,
// line for line (indentation aside), in a file under docs/examples/, which CI type-checks and runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Trimmed non-empty lines; a block's leading `// file.ts` label names the file and is not code. */
function normalize(code: string): string {
  return code
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^\/\/ [\w.-]+\.ts$/.test(line))
    .join('\n');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function blocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => normalize(match[1]!));
}

const examples = tsFiles(join(root, 'docs', 'examples')).map((file) => `\n${normalize(readFileSync(file, 'utf8'))}\n`);

describe.each(['README.md', 'docs/guide.md'])('%s', (doc) => {
  const found = blocks(readFileSync(join(root, doc), 'utf8'));

  it('has code blocks', () => {
    expect(found.length).toBeGreaterThan(0);
  });

  it.each(found.map((block, index) => [index + 1, block] as const))('block %i is cut from a file under docs/examples/', (_, block) => {
    expect(examples.some((text) => text.includes(`\n${block}\n`)), block).toBe(true);
  });
});
