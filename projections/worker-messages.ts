// What workers post to the host through piscina's 'message' event. Kept apart from worker.ts so
// that the host never evaluates the worker module (whose top level posts LOADED).

/** Posted when a partition reached the position a reader awaits. */
export const PROGRESS = 'rehydra:projection-progress';

/**
 * Posted as `{ [LOADED]: threadId }` once the worker module and everything it imports are loaded,
 * and the require() or import() that loaded it has returned.
 */
export const LOADED = 'rehydra:projection-worker-loaded';
