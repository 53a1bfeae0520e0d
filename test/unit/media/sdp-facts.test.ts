import t from 'tap';
import { connectionAddresses, cryptoSuites, hasCrypto, mediaLines, offersSrtp, usesSavp } from '../../../lib/media/sdp-facts.js';

const sdp = (m: string, extra: string[] = []): string =>
  ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', m, 'c=IN IP6 2001:db8::7', ...extra, ''].join('\r\n');

t.test('profiles and crypto', async (t) => {
  const savp = sdp('m=audio 4000 RTP/SAVP 0 8', ['a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc', 'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:def']);
  t.ok(usesSavp(savp));
  t.ok(hasCrypto(savp));
  t.strictSame(cryptoSuites(savp), ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
  const osrtp = sdp('m=audio 4000 RTP/AVP 0', ['a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc']);
  t.notOk(usesSavp(osrtp));
  t.ok(offersSrtp(osrtp), 'OSRTP asks for SRTP');
  const plain = sdp('m=audio 4000 RTP/AVP 0');
  t.notOk(offersSrtp(plain));
  t.ok(usesSavp(sdp('m=audio 4000 RTP/SAVPF 0')), 'SAVPF');
  t.ok(usesSavp(sdp('m=audio 4000 RTP/AVP 0').replace('\r\n', '\n') + 'm=video 5000 RTP/SAVP 96\n'), 'any m= line, LF endings');
});

t.test('addresses and ports', async (t) => {
  const body = sdp('m=audio 4000 RTP/AVP 0 101') + 'm=video 0 RTP/AVP 96\r\nc=IN IP4 233.252.0.1/127\r\n';
  t.strictSame(connectionAddresses(body), ['192.0.2.1', '2001:db8::7', '233.252.0.1']);
  t.strictSame(mediaLines(body), [
    { media: 'audio', port: 4000, proto: 'RTP/AVP', formats: ['0', '101'] },
    { media: 'video', port: 0, proto: 'RTP/AVP', formats: ['96'] },
  ]);
});
