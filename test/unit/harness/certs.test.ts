import t from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import { makeServerCert, makeTestCa, makeTestPki } from '../../helpers/certs.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

t.test('CA and localhost server certificate from the openssl CLI', async (t) => {
  const dir = makeTempDir(t);
  const { ca, server } = await makeTestPki(dir);
  const caCert = new X509Certificate(ca.certPem);
  const leaf = new X509Certificate(server.certPem);
  t.ok(caCert.ca, 'CA certificate is a CA');
  t.notOk(leaf.ca, 'leaf is not a CA');
  t.match(leaf.subject, /CN=localhost/);
  t.match(leaf.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  t.match(leaf.subjectAltName ?? '', /DNS:localhost/);
  t.equal(leaf.checkHost('localhost'), 'localhost');
  t.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  t.ok(leaf.verify(caCert.publicKey), 'leaf signed by the CA');
  t.ok(leaf.checkIssued(caCert));
  // Key and certificate load together, as a TLS server will need them to.
  t.doesNotThrow(() => createSecureContext({ key: server.keyPem, cert: server.certPem, ca: ca.certPem }));
  const { stdout } = await promisify(execFile)('openssl', ['verify', '-CAfile', ca.certPath, server.certPath]);
  t.match(stdout, /OK/);
  t.equal(server.chainPem, server.certPem + ca.certPem);
});

t.test('custom names and RSA keys', async (t) => {
  const dir = makeTempDir(t);
  const ca = await makeTestCa(dir, { keyType: 'rsa', commonName: 'other CA' });
  const leaf = await makeServerCert(ca, dir, { name: 'edge', commonName: 'edge.test', ips: ['127.0.0.2'], dnsNames: ['edge.test'], keyType: 'rsa' });
  const x = new X509Certificate(leaf.certPem);
  t.match(x.subject, /CN=edge\.test/);
  t.equal(x.checkIP('127.0.0.2'), '127.0.0.2');
  t.equal(x.checkIP('127.0.0.1'), undefined);
  t.match(leaf.certPath, /edge\.crt$/);
  t.match(leaf.keyPem, /BEGIN PRIVATE KEY/);
});
