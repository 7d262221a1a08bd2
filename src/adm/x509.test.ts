import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import * as der from './der.ts';
import { createCertificate, derToPem, encodeName, inspectCertificate, ipToBytes, keyIdentifier, selfSigner, X509_OID } from './x509.ts';

describe('DER encoding', () => {
  test('object identifiers, including multi-byte arcs', () => {
    assert.equal(der.oid('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
    assert.equal(der.oid('2.5.29.17').toString('hex'), '0603551d11');
    assert.equal(der.decodeOid(der.read(der.oid('1.3.6.1.5.5.7.3.2')).content), '1.3.6.1.5.5.7.3.2');
    assert.throws(() => der.oid('1.x'), der.DerError);
  });

  test('integers are minimal and positive', () => {
    assert.equal(der.unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex'), '02017f');
    assert.equal(der.unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080');
    assert.equal(der.smallInteger(2).toString('hex'), '020102');
    assert.equal(der.smallInteger(0).toString('hex'), '020100');
  });

  test('long lengths use the multi-byte form', () => {
    const long = der.octetString(Buffer.alloc(300));
    assert.equal(long.subarray(0, 4).toString('hex'), '0482012c');
    assert.equal(der.read(long).content.length, 300);
  });

  test('named bit strings drop trailing zero bits', () => {
    // digitalSignature(0), keyCertSign(5), cRLSign(6): 1000 0110, one unused bit
    assert.equal(der.namedBits([0, 5, 6]).toString('hex'), '03020186');
    assert.equal(der.namedBits([0]).toString('hex'), '03020780');
  });

  test('UTCTime before 2050, GeneralizedTime after', () => {
    assert.equal(der.time(new Date('2031-02-03T04:05:06.789Z')).toString('latin1').slice(2), '310203040506Z');
    assert.equal(der.time(new Date('2031-02-03T04:05:06Z'))[0], der.TAG.utcTime);
    const late = der.time(new Date('2051-01-01T00:00:00Z'));
    assert.equal(late[0], der.TAG.generalizedTime);
    assert.equal(late.toString('latin1').slice(2), '20510101000000Z');
  });

  test('reading rejects truncated input', () => {
    assert.throws(() => der.read(Buffer.from([0x30, 0x05, 0x01])), der.DerError);
  });
});

describe('ipToBytes', () => {
  const cases: [string, string][] = [
    ['10.96.0.1', '0a600001'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::10', '20010db8000000000000000000000010'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ];
  for (const [ip, hex] of cases) test(ip, () => assert.equal(ipToBytes(ip).toString('hex'), hex));
  test('refuses non-addresses', () => assert.throws(() => ipToBytes('example.com')));
});

describe('createCertificate', () => {
  test('an RSA CA can sign (a kubeadm CA dropped into place keeps working)', () => {
    const root = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const subject = { commonName: 'kubernetes' };
    const now = Date.now();
    const caDer = createCertificate({
      subject,
      publicKey: root.publicKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86400_000),
      isCA: true,
      keyUsage: ['keyCertSign'],
      signer: selfSigner(subject, root.privateKey),
    });
    const ca = new X509Certificate(derToPem(caDer));
    const leafKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const leafDer = createCertificate({
      subject: { commonName: 'x', organizations: ['a'] },
      publicKey: leafKeys.publicKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86400_000),
      isCA: false,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth'],
      signer: { key: root.privateKey, subjectDer: inspectCertificate(ca).subjectDer, keyId: keyIdentifier(root.publicKey) },
    });
    const leaf = new X509Certificate(derToPem(leafDer));
    assert.ok(leaf.verify(ca.publicKey));
    assert.ok(leaf.checkIssued(ca));
    assert.equal(leaf.subject, 'O=a\nCN=x');
    assert.equal(inspectCertificate(leaf).extensions.get(X509_OID.subjectAltName), undefined, 'no empty SAN extension');
  });

  test('names put organizations before the common name', () => {
    const name = der.read(encodeName({ commonName: 'u', organizations: ['g1', 'g2'] }));
    const types = der.children(name).map((rdn) => der.decodeOid(der.children(der.children(rdn)[0]!)[0]!.content));
    assert.deepEqual(types, ['2.5.4.10', '2.5.4.10', '2.5.4.3']);
  });
});
