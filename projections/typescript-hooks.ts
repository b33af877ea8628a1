// Node module hooks that workers register before importing a TypeScript projection module (see
// https://nodejs.org/api/module.html#customization-hooks). Owns: Node's own type stripping and any
// loader the user registered (tsx, …) go first; only a `.ts` file they refuse is transpiled, with
// the `typescript` package of the user's project, so projections run from sources under vitest on Node 20.
import { readFile } from 'node:fs/promises';
import { createRequire, type LoadHook, type ResolveHook } from 'node:module';

const TYPESCRIPT = /\.m?ts$/;
/** NodeNext sources import `./x.js` for `./x.ts`: the extension each JavaScript one stands for. */
const SOURCE_EXTENSIONS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts' };

/** A relative `.js` import from a TypeScript module that names no file names its `.ts` source. */
export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const extension = /\.m?js$/.exec(specifier)?.[0];
    const fromTypeScript = context.parentURL !== undefined && TYPESCRIPT.test(new URL(context.parentURL).pathname);
    if (codeOf(error) !== 'ERR_MODULE_NOT_FOUND' || !fromTypeScript || !extension || !/^\.{1,2}\//.test(specifier)) throw error;
    return nextResolve(specifier.slice(0, -extension.length) + SOURCE_EXTENSIONS[extension], context);
  }
};

/** A TypeScript file that Node (and every loader before this one) refuses, transpiled to an ES module. */
export const load: LoadHook = async (url, context, nextLoad) => {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  try {
    return await nextLoad(url, context);
  } catch (error) {
    if (codeOf(error) !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  const source = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: transpile(url, source), shortCircuit: true };
};

function transpile(url: string, source: string): string {
  let ts: typeof import('typescript');
  try {
    // The user's compiler, found from the module as its own imports are: rehydra does not ship one.
    ts = createRequire(url)('typescript') as typeof import('typescript');
  } catch {
    throw new Error(
      `Node ${process.version} cannot run TypeScript by itself and no \`typescript\` package is installed where ${url} can import it: ` +
        'install typescript, build the module to JavaScript, run Node >= 22.18, or register a loader (node --import tsx)',
    );
  }
  const { outputText } = ts.transpileModule(source, {
    fileName: new URL(url).pathname,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true },
  });
  return outputText;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
