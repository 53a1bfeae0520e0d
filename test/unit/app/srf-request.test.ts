// requestFinalResponse against a stand-in for srf that delivers the request and its response in one go, as srf
// does when the engine's echo and the response arrive in the same socket read.
import t from 'tap';
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { requestFinalResponse, type FinalResponse } from '../../../lib/app/srf-request.js';

const response = (status: number): FinalResponse => ({ status, reason: status === 200 ? 'OK' : 'Trying', headers: {}, get: () => '' });

/** srf.request(uri, opts, cb): cb gets the request, then its responses are emitted before anything else runs. */
function srfAnsweringAtOnce(statuses: number[], sent: Array<{ uri: string; opts: object }> = []): Srf {
  return {
    request(uri: string, opts: object, cb: (err: unknown, req: EventEmitter) => void) {
      sent.push({ uri, opts });
      const req = new EventEmitter();
      cb(null, req);
      for (const s of statuses) req.emit('response', response(s));
    },
  } as unknown as Srf;
}

t.test('a final response delivered together with the request is not lost', async (t) => {
  const sent: Array<{ uri: string; opts: object }> = [];
  const res = await requestFinalResponse(srfAnsweringAtOnce([100, 200], sent), 'sip:pbx.example.com', { method: 'OPTIONS' });
  t.equal(res.status, 200, 'the 100 is skipped, the 200 is the answer');
  t.same(sent, [{ uri: 'sip:pbx.example.com', opts: { method: 'OPTIONS' } }]);
});

t.test('an error from srf rejects', async (t) => {
  const srf = {
    request(_uri: string, _opts: object, cb: (err: unknown) => void) {
      cb(new Error('no transport'));
    },
  } as unknown as Srf;
  await t.rejects(requestFinalResponse(srf, 'sip:pbx.example.com', { method: 'MESSAGE' }), /no transport/);
});
