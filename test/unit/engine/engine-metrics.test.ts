// The engine's Prometheus metrics: counted on the hot path, exposed correctly when scraped.
import t from 'tap';
import { Registry } from 'prom-client';
import { createEngineMetrics } from '../../../lib/engine/engine-metrics.js';

t.test('message counters and the response-time histogram appear in the exposition', async (t) => {
  const registry = new Registry();
  const m = createEngineMetrics(registry);
  for (let i = 0; i < 3; i++) m.messageIn('tcp', 'request', 'OPTIONS');
  m.messageIn('udp', 'request', 'FOO');
  m.messageOut('tcp', 'response', 'OPTIONS');
  m.observeResponseTime('OPTIONS', 0.003);
  m.observeResponseTime('OPTIONS', 0.5);
  m.observeResponseTime('OPTIONS', 10);
  m.connectionClosed('tls', 'idle-timeout');
  let text = await registry.metrics();
  t.match(text, /sipedge_sip_messages_total\{direction="in",transport="tcp",kind="request",method="OPTIONS"\} 3\n/);
  t.match(text, /sipedge_sip_messages_total\{direction="in",transport="udp",kind="request",method="other"\} 1\n/, 'unknown methods are bounded');
  t.match(text, /sipedge_sip_messages_total\{direction="out",transport="tcp",kind="response",method="OPTIONS"\} 1\n/);
  t.match(text, /# TYPE sipedge_request_response_seconds histogram/);
  t.match(text, /sipedge_request_response_seconds_bucket\{method="OPTIONS",le="0.0025"\} 0\n/);
  t.match(text, /sipedge_request_response_seconds_bucket\{method="OPTIONS",le="0.005"\} 1\n/);
  t.match(text, /sipedge_request_response_seconds_bucket\{method="OPTIONS",le="0.5"\} 2\n/);
  t.match(text, /sipedge_request_response_seconds_bucket\{method="OPTIONS",le="\+Inf"\} 3\n/);
  t.match(text, /sipedge_request_response_seconds_count\{method="OPTIONS"\} 3\n/);
  t.match(text, /sipedge_request_response_seconds_sum\{method="OPTIONS"\} 10\.503\n/);
  t.match(text, /sipedge_connections_closed_total\{transport="tls",reason="idle-timeout"\} 1\n/);
  // A second scrape after more traffic reports the new totals, not double counts.
  m.messageIn('tcp', 'request', 'OPTIONS');
  text = await registry.metrics();
  t.match(text, /sipedge_sip_messages_total\{direction="in",transport="tcp",kind="request",method="OPTIONS"\} 4\n/);
});
