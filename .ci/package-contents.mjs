// What the npm package ships, checked on the unpacked tarball: package.json, README, LICENSE and the
// built floors a user's program loads (never tests, benchmarks, fixtures or the docs' examples); no
// output left over from a deleted source or older than its source; every import resolvable where
// the package is installed; every source map carrying the TypeScript it maps to (no .ts ships).
// Usage: node .ci/package-contents.mjs <unpacked package folder>   (run from the repository root)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';

/** The dist/ folders that ship: the runtime's floors, the `rehydra/testing` entry and the CLI. */
const SHIPPED_FLOORS = ['storage', 'actors', 'projections', 'runtime', 'testing', 'cli'];
const TOP_LEVEL = ['package.json', 'README.md', 'LICENSE'];
const BUILT = /^(.*)\.(js|d\.ts|js\.map)$/;

const root = process.argv[2];
if (!root || !existsSync(join(root, 'package.json'))) {
  console.error('usage: node .ci/package-contents.mjs <unpacked package folder> (the folder holding its package.json)');
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];
const files = list(root).sort();

for (const file of files) {
  if (TOP_LEVEL.includes(file)) continue;
  const [top, floor, ...rest] = file.split('/');
  const built = BUILT.exec(file);
  if (top !== 'dist' || !SHIPPED_FLOORS.includes(floor) || rest.length === 0 || !built) {
    problems.push(`${file}: not part of the package (only ${TOP_LEVEL.join(', ')} and dist/{${SHIPPED_FLOORS.join(',')}}/*.{js,d.ts,js.map} ship)`);
  } else {
    const source = `${built[1].slice('dist/'.length)}.ts`;
    if (!existsSync(source)) problems.push(`${file}: no source ${source} in the repository (output of a deleted source? rebuild from a clean dist/)`);
    // The tarball's dates are npm's fixed ones: compare the build in the working tree with its source.
    else if (statSync(file).mtimeMs < statSync(source).mtimeMs) problems.push(`${file}: older than ${source} (run npm run build)`);
  }
}
for (const file of TOP_LEVEL) if (!files.includes(file)) problems.push(`${file}: missing from the package`);

for (const file of files.filter((f) => f.endsWith('.js'))) {
  const stem = file.slice(0, -'.js'.length);
  for (const twin of [`${stem}.d.ts`, `${file}.map`]) if (!files.includes(twin)) problems.push(`${file}: ships without ${twin}`);
}

for (const file of files.filter((f) => f.endsWith('.js.map'))) {
  const map = JSON.parse(readFileSync(join(root, file), 'utf8'));
  const carried = map.sourcesContent?.filter((content) => typeof content === 'string').length ?? 0;
  if (carried !== map.sources.length) problems.push(`${file}: carries ${carried} of its ${map.sources.length} sources (build with inlineSources)`);
}

// A peer dependency is the user's to install (an optional one, such as @opentelemetry/api, is
// loaded by a guarded dynamic import, and its types only by a declaration no entry point reaches).
const dependencies = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
const builtins = new Set(builtinModules);
for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
  for (const specifier of importsOf(readFileSync(join(root, file), 'utf8'))) {
    if (specifier.startsWith('.')) {
      const target = posix.join(posix.dirname(file), specifier);
      // A declaration's `./x.js` names the module; its types are in `./x.d.ts`.
      const wanted = file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target;
      if (!files.includes(wanted)) problems.push(`${file}: imports ${specifier}, which the package does not ship`);
    } else if (!builtins.has(specifier.replace(/^node:/, '')) && !dependencies.has(packageName(specifier))) {
      problems.push(`${file}: imports ${specifier}, which is not in "dependencies" or "peerDependencies" (an installed package would not find it)`);
    }
  }
}

for (const [field, path] of entryPoints(pkg)) {
  if (!files.includes(posix.normalize(path))) problems.push(`package.json ${field}: ${path} is not in the package`);
}

if (problems.length > 0) {
  console.error(`The package is not what should ship (${problems.length} problems):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package contents: ${files.length} files, all expected`);

/** The package's files, as POSIX paths relative to `dir`. */
function list(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? list(dir, path) : [path];
  });
}

/** The module specifiers of static imports, re-exports and `import('…')` types and calls. */
function importsOf(code) {
  const statements = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"\s]+)['"]|^\s*import\s*['"]([^'"\s]+)['"]|\bimport\(\s*['"]([^'"\s]+)['"]\s*\)/gm;
  return [...code.matchAll(statements)].map((match) => match[1] ?? match[2] ?? match[3]);
}

/** `xstate/graph` → `xstate`; `@scope/name/x` → `@scope/name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every file package.json names as an entry: main, types, bin and each `exports` target. */
function entryPoints(manifest) {
  const entries = [];
  for (const field of ['main', 'types']) if (manifest[field]) entries.push([field, manifest[field]]);
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : manifest.bin ?? {};
  for (const [name, path] of Object.entries(bins)) entries.push([`bin.${name}`, path]);
  const walk = (value, field) => {
    if (typeof value === 'string') entries.push([field, value]);
    else for (const [key, inner] of Object.entries(value ?? {})) walk(inner, `${field}[${JSON.stringify(key)}]`);
  };
  walk(manifest.exports, 'exports');
  for (const [version, paths] of Object.entries(manifest.typesVersions ?? {})) {
    for (const [subpath, targets] of Object.entries(paths)) for (const target of targets) entries.push([`typesVersions[${version}].${subpath}`, target]);
  }
  return entries;
}
