// The projection host destroys its pool only after every worker has posted LOADED, because
// terminating a thread that is still loading its modules aborts the whole process. On Node
// 22.12+ and 24, piscina require()s the ES module worker, and Node builds the module's CommonJS
// facade after its body has run: a LOADED posted from the body let close() terminate the thread
// inside that step (Node 24.22: "Assertion failed: facade->InstantiateModule", the process gone).
// LOADED must therefore arrive after the loading call has returned, on every Node line.
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { LOADED } from '../../projections/worker-messages.js';
import { compiledFixture } from '../fixtures/child-fixture.js';

describe('the projection worker module', () => {
  it('posts LOADED only after the require() or import() that loads it has returned', async () => {
    const thread = new Worker(pathToFileURL(compiledFixture('worker-loader')));
    // Read now: once the thread has exited, threadId is -1.
    const { threadId } = thread;
    const messages: unknown[] = [];
    thread.on('message', (message: unknown) => messages.push(message));
    try {
      while (messages.length < 2) await once(thread, 'message');
      expect(messages).toEqual(['returned', { [LOADED]: threadId }]);
    } finally {
      await thread.terminate();
    }
  });
});
