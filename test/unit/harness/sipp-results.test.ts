import t from 'tap';
import {
  countsFromStats,
  parseRttCsv,
  parseScreenCounts,
  parseSippVersion,
  parseStatCsv,
  percentile,
  percentilesFromRepartition,
  summarize,
} from '../../helpers/sipp-results.js';

// Shapes copied from SIPp 3.6.1 output on this machine (values shortened).
const statCsv = [
  'StartTime;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);ResponseTimeRepartition1;' +
    'ResponseTimeRepartition1_<10;ResponseTimeRepartition1_<20;ResponseTimeRepartition1_>=20;',
  '2026-11-22\t01:48:37.130524\t1795312117.130524;0;0;0;0;;0;0;0;',
  '2026-11-22\t01:48:37.638512\t1795312117.638512;0;98;0;2;;90;9;1;',
  '',
].join('\n');

t.test('stat CSV: last row by column name, counts', async (t) => {
  const stats = parseStatCsv(statCsv);
  t.equal(stats['SuccessfulCall(C)'], '98');
  t.same(countsFromStats(stats), { successful: 98, failed: 2 });
  t.same(countsFromStats({}), null);
  t.same(parseStatCsv('only-header'), {});
});

t.test('repartition buckets give coarse percentiles', async (t) => {
  const stats = parseStatCsv(statCsv);
  t.same(percentilesFromRepartition(stats, 1), { p50: 10, p99: 20, openEnded: false });
  const tail = { 'ResponseTimeRepartition1_<10': '1', 'ResponseTimeRepartition1_>=10': '99' };
  t.same(percentilesFromRepartition(tail, 1), { p50: 10, p99: 10, openEnded: true });
  t.equal(percentilesFromRepartition({}, 1), undefined);
});

t.test('final screen counts (last occurrence wins)', async (t) => {
  const screen = [
    '  Successful call        |        0                  |        3                 ',
    '  Failed call            |        0                  |        1                 ',
    '  Successful call        |        0                  |        5                 ',
    '  Failed call            |        0                  |        0                 ',
  ].join('\n');
  t.same(parseScreenCounts(screen), { successful: 5, failed: 0 });
  t.equal(parseScreenCounts('nothing here'), null);
});

t.test('rtt trace grouped by rtd, percentiles', async (t) => {
  const byRtd = parseRttCsv('Date_ms;response_time_ms;rtd_no\n108.001;4;1\n204.001;0;1\n212.001;7;2\n');
  t.same(byRtd.get(1), [4, 0]);
  t.same(byRtd.get(2), [7]);
  const late = parseRttCsv('Date_ms;response_time_ms;rtd_no\n108.001;4;1\n204.001;0;1\n212.001;7;2\n', { from: 200 });
  t.same(late.get(1), [0], 'from: samples traced before it are left out');
  t.same(late.get(2), [7]);
  const early = parseRttCsv('Date_ms;response_time_ms;rtd_no\n108.001;4;1\n204.001;0;1\n212.001;7;2\n', { to: 200 });
  t.same(early.get(1), [4], 'to: only samples traced before it');
  t.equal(early.get(2), undefined);
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  const s = summarize(values);
  t.same(s, { count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  t.equal(summarize([]), undefined);
  t.equal(percentile([5], 99), 5);
});

t.test('version line', async (t) => {
  t.same(parseSippVersion(' SIPp v3.6.1-SCTP-PCAP-RTPSTREAM.\n'), { version: '3.6.1', features: ['SCTP', 'PCAP', 'RTPSTREAM'] });
  t.same(parseSippVersion('SIPp v3.7.3-TLS-SCTP-PCAP-RTPSTREAM.'), { version: '3.7.3', features: ['TLS', 'SCTP', 'PCAP', 'RTPSTREAM'] });
  t.equal(parseSippVersion('nope'), null);
});
