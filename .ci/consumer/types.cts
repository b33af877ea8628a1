// The package's types as a CommonJS consumer in TypeScript sees them: `import = require` of the ES
// module package, which TypeScript >= 5.8 allows under module nodenext (require(esm)).
import rehydra = require('rehydra');
import testing = require('rehydra/testing');

export async function open(path: string): Promise<rehydra.Runtime> {
  const runtime = await rehydra.createRuntime({ path, aggregates: [] });
  // @ts-expect-error: the options are typed, not `any`
  await rehydra.createRuntime({ path: 42 });
  return runtime;
}

export const spec: typeof testing.given = testing.given;
