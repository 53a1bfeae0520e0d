import t from 'tap';
import { ConnectionTable, type TableEntry } from '../../../lib/engine/transport/connection-table.js';
import { withTransportDefaults, DEFAULT_TRANSPORT_CONFIG } from '../../../lib/engine/transport/transport-config.js';
import { nextConnectionId } from '../../../lib/engine/transport/stream-connection.js';

function entry(id: string, inbound = true, transport: 'tcp' | 'tls' = 'tcp'): TableEntry {
  return { id, transport, inbound, remoteKeys: undefined };
}

t.test('lookup by id and by transport + remote address', async (t) => {
  const table = new ConnectionTable<TableEntry>();
  const a = entry('a');
  const b = entry('b', false, 'tls');
  table.add(a, '192.0.2.1', 5060);
  table.add(b, '192.0.2.1', 5060);
  t.equal(table.get('a'), a);
  t.equal(table.findByRemote('tcp', '192.0.2.1', 5060), a);
  t.equal(table.findByRemote('tls', '192.0.2.1', 5060), b, 'transport is part of the key');
  t.equal(table.findByRemote('tcp', '192.0.2.1', 5061), undefined);
  table.alias(b, 'Peer.Example.com', 5061);
  t.equal(table.findByRemote('tls', 'peer.example.com', 5061), b, 'host names are case-insensitive');
  t.equal(table.size, 2);
  t.ok(table.remove(b));
  t.notOk(table.remove(b));
  t.equal(table.findByRemote('tls', 'peer.example.com', 5061), undefined, 'aliases go with the connection');
  t.equal(table.findByRemote('tls', '192.0.2.1', 5060), undefined);
  // A newer connection to the same address takes the key; removing the old one leaves it alone.
  const c = entry('c');
  table.add(c, '192.0.2.1', 5060);
  t.equal(table.findByRemote('tcp', '192.0.2.1', 5060), c);
  table.remove(a);
  t.equal(table.findByRemote('tcp', '192.0.2.1', 5060), c);
});

t.test('admission: per-IP and total counts', async (t) => {
  const table = new ConnectionTable<TableEntry>();
  t.equal(table.admit('10.0.0.1', 3, 2), undefined);
  t.equal(table.admit('10.0.0.1', 3, 2), undefined);
  t.equal(table.admit('10.0.0.1', 3, 2), 'limit-per-ip');
  t.equal(table.admit('10.0.0.2', 3, 2), undefined);
  t.equal(table.admit('10.0.0.3', 3, 2), 'limit-total');
  t.equal(table.inboundFrom('10.0.0.1'), 2);
  table.release('10.0.0.1');
  t.equal(table.inboundFrom('10.0.0.1'), 1);
  t.equal(table.total, 2);
  // Outbound connections count toward the total too.
  table.add(entry('o', false), '192.0.2.5', 5060);
  t.equal(table.total, 3);
  t.equal(table.admit('10.0.0.9', 3, 2), 'limit-total');
  table.release('10.0.0.77');
  t.equal(table.total, 3, 'releasing an unknown IP is a no-op');
});

t.test('config defaults and ids', async (t) => {
  const c = withTransportDefaults({ tcp: { port: 0 }, limits: { maxHeaders: 10 } });
  t.equal(c.tcp.port, 0);
  t.equal(c.tcp.idleTimeoutMs, 1_200_000);
  t.equal(c.tls.port, 5061);
  t.equal(c.tls.minVersion, 'TLSv1.2');
  t.equal(c.tls.rejectUnauthorized, true);
  t.equal(c.udp.address, '127.0.0.1');
  t.equal(c.limits.maxHeaders, 10);
  t.equal(c.limits.maxMessageBytes, 65535);
  t.equal(c.limits.maxConnections, 10000);
  t.equal(c.limits.maxConnectionsPerIp, 1000);
  t.equal(c.limits.messageReceiveTimeoutMs, 10000);
  t.equal(c.limits.maxWriteBacklogBytes, 4 * 1024 * 1024);
  t.equal(DEFAULT_TRANSPORT_CONFIG.udp.port, 5060);
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) ids.add(nextConnectionId());
  t.equal(ids.size, 1000);
  t.match([...ids][0], /^c[0-9a-z]+$/);
});
