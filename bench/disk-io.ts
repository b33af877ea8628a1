// Bytes this process wrote, from /proc/self/io (the whole thread group, so lmdb-js's write thread
// counts): `write_bytes`, what the kernel sends to storage (the write-amplification figure), and
// `wchar`, what write syscalls passed in. Linux only: elsewhere, undefined.
import { readFileSync } from 'node:fs';

/** Bytes written over an interval; undefined where /proc/self/io is unavailable. */
export interface DiskWrites {
  /** `write_bytes`: page-cache pages dirtied, i.e. what goes to the device. */
  readonly storage: number;
  /** `wchar`: bytes handed to write syscalls (LMDB's own page writes). */
  readonly syscalls: number;
}

function readCounters(): DiskWrites | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/io', 'utf8');
  } catch {
    return undefined;
  }
  const storage = /^write_bytes:\s*(\d+)$/m.exec(text);
  const syscalls = /^wchar:\s*(\d+)$/m.exec(text);
  return storage && syscalls ? { storage: Number(storage[1]), syscalls: Number(syscalls[1]) } : undefined;
}

/** Starts counting; the returned function gives the bytes written since (or undefined). */
export function startDiskWrites(): () => DiskWrites | undefined {
  const before = readCounters();
  return () => {
    const after = readCounters();
    if (!before || !after) return undefined;
    return { storage: after.storage - before.storage, syscalls: after.syscalls - before.syscalls };
  };
}
