// The `rehydra/testing` entry: aggregate specs without a disk (with time), a temp-folder runtime, and
// model-based paths from the chart. Kept out of the main entry so production code never loads test
// helpers; every export is listed by name.
export { given, AggregateSpec } from './aggregate-spec.js';
export type { SpecWhen, SpecAfter, SpecOutcome, TimerEvent, ErrorClass } from './aggregate-spec.js';
export { createTestRuntime } from './test-runtime.js';
export type { TestRuntime, TestRuntimeOptions } from './test-runtime.js';
export { modelPaths } from './model-paths.js';
export type { ModelPath, ModelStep, ModelPathsOptions, EventCommands } from './model-paths.js';
