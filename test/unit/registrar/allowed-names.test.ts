// Allowed Request-URI names, and the remembered verdicts that spare a URI parse per request.
import t from 'tap';
import { AllowedUriNames } from '../../../lib/registrar/allowed-names.js';

t.test('hosts compare case-insensitively; users, ports and parameters do not matter', async (t) => {
  const a = new AllowedUriNames(['sip.example.com', '[2001:db8::1]']);
  t.ok(a.allows('sip:sip.example.com'));
  t.ok(a.allows('sip:alice@SIP.Example.COM:5061;transport=tls'));
  t.ok(a.allows('sip:[2001:db8::1]:5060'));
  t.notOk(a.allows('sip:other.example.com'));
  t.notOk(a.allows('tel:+15551234'));
  t.notOk(a.allows('not a uri'));
});

t.test('a remembered verdict follows names added later', async (t) => {
  const a = new AllowedUriNames(['a.example.com']);
  t.notOk(a.allows('sip:127.0.0.1:5060'));
  t.notOk(a.allows('sip:127.0.0.1:5060'), 'same answer the second time');
  a.add('127.0.0.1');
  t.ok(a.allows('sip:127.0.0.1:5060'), 'allowed once the address is added');
});

t.test('many distinct URIs: verdicts stay right past the memory bound', async (t) => {
  const a = new AllowedUriNames(['a.example.com']);
  const wrong: string[] = [];
  for (let i = 0; i < 1000; i++) {
    if (!a.allows(`sip:u${i}@a.example.com`)) wrong.push(`u${i}@a refused`);
    if (a.allows(`sip:u${i}@b${i}.example.com`)) wrong.push(`u${i}@b${i} allowed`);
  }
  t.same(wrong, [], '2,000 verdicts, every one right');
  t.ok(a.allows('sip:u0@a.example.com'));
  t.notOk(a.allows('sip:u0@b0.example.com'));
});
