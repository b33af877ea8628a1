// Moved to fixtures/ (the cluster benchmark starts servers too); tests import it from there.
export { startNatsCluster } from '../../fixtures/nats-servers.js';
export type { NatsAuth, NatsCluster, NatsClusterOptions, NatsServerHandle } from '../../fixtures/nats-servers.js';
