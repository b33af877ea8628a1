// The `cluster` option of createRuntime, checked field by field at the door so a typo fails at
// start with the field's name, and resolved with its defaults.
import type { ConnectionOptions } from '@nats-io/transport-node';

/** How a node reaches NATS: passed to the client as given (user/pass, token, authenticator, tls). */
export type ClusterConnection = Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator' | 'tls' | 'name'>;

/** Options of cluster mode (`createRuntime({ cluster })`). */
export interface ClusterOptions {
  /** NATS server URLs: one string (comma-separated allowed) or a list. */
  readonly servers: string | readonly string[];
  /** The cluster's name: one JetStream stream and one lease bucket per name ([A-Za-z0-9_-]). */
  readonly name: string;
  /** This node's id, unique in the cluster ([A-Za-z0-9_-]); a restarted node keeps its id. */
  readonly nodeId: string;
  /** Partitions aggregates are placed by; the same on every node, never changed once data exists. @default 64 */
  readonly partitions?: number;
  /** JetStream replicas of the log and the lease bucket (1, 3 or 5). @default 3 */
  readonly replicas?: number;
  /** Lease period (ms): a dead node's partitions serve again within two of these. @default 5000 */
  readonly leaseMs?: number;
  /** Longest wait (ms) for a forwarded command's reply before its outcome is reported unknown. @default 2 × leaseMs */
  readonly requestTimeoutMs?: number;
  /** Authentication and TLS, passed to the NATS client. */
  readonly connection?: ClusterConnection;
}

/** ClusterOptions with defaults filled in. */
export interface ResolvedClusterOptions {
  readonly servers: string[];
  readonly name: string;
  readonly nodeId: string;
  readonly partitions: number;
  readonly replicas: number;
  readonly leaseMs: number;
  readonly requestTimeoutMs: number;
  readonly connection: ClusterConnection;
}

const KNOWN = new Set(['servers', 'name', 'nodeId', 'partitions', 'replicas', 'leaseMs', 'requestTimeoutMs', 'connection']);
const CONNECTION = new Set(['user', 'pass', 'token', 'authenticator', 'tls', 'name']);
/** Safe in a subject token, a stream name and a bucket name alike. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

function bounded(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`options.cluster.${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function token(name: string, value: unknown): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new TypeError(`options.cluster.${name} must be 1-64 characters of A-Z, a-z, 0-9, _ or - (got ${JSON.stringify(value)})`);
  }
  return value;
}

function serversOf(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  const servers = list?.map((server: unknown) => (typeof server === 'string' ? server.trim() : '')).filter((server) => server.length > 0);
  if (!servers || servers.length === 0 || servers.length !== list!.length) {
    throw new TypeError(`options.cluster.servers must be a NATS URL or a list of them, such as 'nats://127.0.0.1:4222' (got ${JSON.stringify(value)})`);
  }
  return servers;
}

function connectionOf(value: unknown): ClusterConnection {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new TypeError('options.cluster.connection must be an object such as { user, pass }');
  for (const key of Object.keys(value)) {
    if (!CONNECTION.has(key)) throw new TypeError(`options.cluster.connection.${key} is not passed to NATS (known: ${[...CONNECTION].join(', ')})`);
  }
  return value as ClusterConnection;
}

/** Validates `options.cluster` and fills in defaults; throws TypeError/RangeError naming the field. */
export function resolveClusterOptions(value: unknown): ResolvedClusterOptions {
  if (typeof value !== 'object' || value === null) throw new TypeError('options.cluster must be an object such as { servers, name, nodeId }');
  for (const key of Object.keys(value)) {
    if (!KNOWN.has(key)) throw new TypeError(`options.cluster.${key} is not a cluster option (known: ${[...KNOWN].join(', ')})`);
  }
  const options = value as Partial<Record<keyof ClusterOptions, unknown>>;
  const replicas = bounded('replicas', options.replicas, 3, 1, 5);
  const leaseMs = bounded('leaseMs', options.leaseMs, 5_000, 200, 600_000);
  return {
    servers: serversOf(options.servers),
    name: token('name', options.name),
    nodeId: token('nodeId', options.nodeId),
    partitions: bounded('partitions', options.partitions, 64, 1, 4_096),
    replicas,
    leaseMs,
    requestTimeoutMs: bounded('requestTimeoutMs', options.requestTimeoutMs, 2 * leaseMs, 10, 3_600_000),
    connection: connectionOf(options.connection),
  };
}
