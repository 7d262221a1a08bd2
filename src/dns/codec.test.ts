// The wire codec: round trips, compression, truncation, and malformed input that must be a DnsFormatError.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RRType } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { canonicalIp, formatIPv6, ipFromReverseName, parseIPv6, reverseName } from './ip.ts';
import { DnsFormatError, emptyFlags, type DnsMessage, type ResourceRecord } from './message.ts';
import { canonicalName, inZone, labelsBelow, nameToLabels } from './names.ts';

const withoutOffsets = (records: ResourceRecord[]) => records.map(({ ttlOffset: _, ...rr }) => rr);

function message(overrides: Partial<DnsMessage> = {}): DnsMessage {
  return {
    id: 0x1234,
    flags: { ...emptyFlags(), qr: true, aa: true, rd: true },
    rcode: 0,
    questions: [{ name: 'web.default.svc.cluster.local', type: RRType.A, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    ...overrides,
  };
}

describe('DNS wire codec', () => {
  it('round-trips every record type it knows, unknown types, flags and EDNS', () => {
    const msg = message({
      flags: { qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, ad: true, cd: true },
      rcode: 3,
      answers: [
        { name: 'web.default.svc.cluster.local', class: 1, type: 'A', ttl: 30, address: '10.96.0.12' },
        { name: 'web.default.svc.cluster.local', class: 1, type: 'AAAA', ttl: 30, address: 'fd00::12' },
        { name: 'ext.default.svc.cluster.local', class: 1, type: 'CNAME', ttl: 30, target: 'www.example.com' },
        { name: '12.0.96.10.in-addr.arpa', class: 1, type: 'PTR', ttl: 30, target: 'web.default.svc.cluster.local' },
        { name: '_http._tcp.web.default.svc.cluster.local', class: 1, type: 'SRV', ttl: 30, priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
        { name: 'dns-version.cluster.local', class: 1, type: 'TXT', ttl: 28800, texts: ['1.1.0', 'tschüss', ''] },
        { name: 'example.com', class: 1, type: 'MX', ttl: 60, preference: 10, exchange: 'mail.example.com' },
        { name: 'example.com', class: 1, type: 'UNKNOWN', code: 257, ttl: 60, rdata: Uint8Array.from([0, 5, 105, 115, 115, 117, 101]) },
      ],
      authorities: [
        { name: 'cluster.local', class: 1, type: 'NS', ttl: 30, target: 'kube-dns.kube-system.svc.cluster.local' },
        { name: 'cluster.local', class: 1, type: 'SOA', ttl: 30, mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 4294967295, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 },
      ],
      additionals: [{ name: 'kube-dns.kube-system.svc.cluster.local', class: 1, type: 'A', ttl: 30, address: '10.96.0.10' }],
      edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] },
    });
    const decoded = decodeMessage(encodeMessage(msg));
    assert.deepEqual({ ...decoded, answers: withoutOffsets(decoded.answers), authorities: withoutOffsets(decoded.authorities), additionals: withoutOffsets(decoded.additionals) }, msg);
  });

  it('compresses repeated names (case-insensitively) with pointers back to their first occurrence', () => {
    const msg = message({
      questions: [{ name: 'Web.Default.svc.cluster.local', type: RRType.A, class: 1 }],
      answers: [1, 2, 3].map((i) => ({ name: 'web.default.svc.cluster.local', type: 'A' as const, ttl: 30, address: `10.244.0.${i}` })),
      authorities: [{ name: 'cluster.local', type: 'NS', ttl: 30, target: 'ns.dns.cluster.local' }],
    });
    const compressed = encodeMessage(msg);
    const plain = encodeMessage(msg, { compress: false });
    assert.ok(compressed.length < plain.length);
    // The first answer's owner name is a pointer to the question name at offset 12.
    const questionEnd = 12 + 'Web.Default.svc.cluster.local'.length + 2 + 4;
    assert.deepEqual([...compressed.subarray(questionEnd, questionEnd + 2)], [0xc0, 12]);
    const decoded = decodeMessage(compressed);
    assert.deepEqual(decoded.answers.map((a) => a.name), ['Web.Default.svc.cluster.local', 'Web.Default.svc.cluster.local', 'Web.Default.svc.cluster.local']);
    assert.equal(decoded.authorities[0]?.name, 'svc.cluster.local'.slice(4));
    assert.deepEqual(decodeMessage(plain).answers.map((a) => a.type === 'A' && a.address), ['10.244.0.1', '10.244.0.2', '10.244.0.3']);
  });

  it('writes SRV targets uncompressed (RFC 2782) but lets later names point into them', () => {
    const target = 'web-0.db.default.svc.cluster.local';
    const encoded = encodeMessage(
      message({
        questions: [{ name: '_pg._tcp.db.default.svc.cluster.local', type: RRType.SRV, class: 1 }],
        answers: [{ name: '_pg._tcp.db.default.svc.cluster.local', type: 'SRV', ttl: 30, priority: 0, weight: 100, port: 5432, target }],
        additionals: [{ name: target, type: 'A', ttl: 30, address: '10.244.0.7' }],
      }),
    );
    const text = Buffer.from(encoded).toString('latin1');
    const spelled = text.indexOf('\x05web-0\x02db\x07default\x03svc\x07cluster\x05local\x00');
    assert.ok(spelled > 0, 'the SRV target is spelled out in full');
    assert.ok(text.slice(spelled).includes(String.fromCharCode(0xc0 | (spelled >> 8), spelled & 0xff)), 'the additional record points at it');
    const decoded = decodeMessage(encoded);
    assert.equal(decoded.answers[0]?.type === 'SRV' && decoded.answers[0].target, target);
    assert.equal(decoded.additionals[0]?.name, target);
  });

  it('keeps escaped dots and odd bytes inside labels', () => {
    const name = 'a\\.b.c\\000d.example';
    assert.equal(nameToLabels(name).length, 3);
    const decoded = decodeMessage(encodeMessage(message({ questions: [{ name, type: 1, class: 1 }] })));
    assert.equal(decoded.questions[0]?.name, name);
  });

  it('splits TXT strings longer than 255 bytes into several character-strings', () => {
    const long = 'x'.repeat(600);
    const decoded = decodeMessage(encodeMessage(message({ answers: [{ name: 'a.example', type: 'TXT', ttl: 1, texts: [long] }] })));
    assert.deepEqual(decoded.answers[0]?.type === 'TXT' && decoded.answers[0].texts.map((t) => t.length), [255, 255, 90]);
  });

  it('truncates to maxSize: drops answers that do not fit, sets TC, keeps the OPT record', () => {
    const answers = Array.from({ length: 100 }, (_, i) => ({ name: `pod-${i}.db.default.svc.cluster.local`, type: 'A' as const, ttl: 30, address: `10.244.1.${i}` }));
    const msg = message({ answers, edns: { udpPayloadSize: 512, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } });
    const encoded = encodeMessage(msg, { maxSize: 512 });
    assert.ok(encoded.length <= 512, `${encoded.length} bytes`);
    const decoded = decodeMessage(encoded);
    assert.equal(decoded.flags.tc, true);
    assert.ok(decoded.answers.length > 5 && decoded.answers.length < 100, `${decoded.answers.length} answers kept`);
    assert.equal(decoded.edns?.udpPayloadSize, 512);
    assert.deepEqual(decoded.answers.at(-1), { ...answers[decoded.answers.length - 1], class: 1, ttlOffset: decoded.answers.at(-1)!.ttlOffset });
    // Everything fits in a larger buffer.
    const full = decodeMessage(encodeMessage(msg, { maxSize: 4096 }));
    assert.equal(full.flags.tc, false);
    assert.equal(full.answers.length, 100);
  });

  it('drops additional records that do not fit without setting TC', () => {
    const additionals = Array.from({ length: 60 }, (_, i) => ({ name: `host-${i}.example`, type: 'A' as const, ttl: 30, address: `192.0.2.${i}` }));
    const decoded = decodeMessage(encodeMessage(message({ answers: [{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 30, address: '10.96.0.1' }], additionals }), { maxSize: 512 }));
    assert.equal(decoded.flags.tc, false);
    assert.equal(decoded.answers.length, 1);
    assert.ok(decoded.additionals.length < 60);
  });

  it('splits an extended RCODE (BADVERS) between the header and the OPT record', () => {
    const decoded = decodeMessage(encodeMessage(message({ rcode: 16, edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } })));
    assert.equal(decoded.rcode, 16);
    assert.equal(decoded.edns?.extendedRcode, 1);
  });

  describe('malformed input is a DnsFormatError', () => {
    const valid = encodeMessage(message({ answers: [{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 30, address: '10.96.0.12' }] }));
    const cases: Array<[string, Uint8Array]> = [
      ['shorter than a header', valid.subarray(0, 11)],
      ['truncated in the question', valid.subarray(0, 20)],
      ['truncated in a record', valid.subarray(0, valid.length - 2)],
      ['counts larger than the message', Buffer.concat([valid.subarray(0, 4), Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), valid.subarray(12)])],
      ['a pointer to itself', Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1])],
      ['a pointer forwards', Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 1, 0, 1, 0])],
      ['a reserved label type', Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1])],
      ['a name longer than 255 bytes', Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 97)])), Buffer.from([0, 0, 1, 0, 1])])],
      ['an A record with five bytes', Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 30, 0, 5, 1, 2, 3, 4, 5])],
      ['record data past its length', Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0, 1, 0, 0, 0, 30, 0, 2, 3, 97, 98, 99, 0])],
      ['an OPT record in the answer section', Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0])],
      ['two OPT records', Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0])],
    ];
    for (const [what, packet] of cases) {
      it(what, () => assert.throws(() => decodeMessage(packet), DnsFormatError));
    }

    it('random bytes and mutations of a valid packet never throw anything else', () => {
      for (let i = 0; i < 3000; i++) {
        const packet = i % 3 === 0 ? randomBytes(12 + (i % 80)) : Buffer.from(valid);
        if (i % 3 !== 0) for (let k = 0; k < 1 + (i % 4); k++) packet[12 + ((i * 7 + k * 13) % (packet.length - 12))] = (i * 31 + k) & 0xff;
        try {
          decodeMessage(packet);
        } catch (err) {
          assert.ok(err instanceof DnsFormatError, `${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    });
  });
});

describe('names and addresses', () => {
  it('folds case, strips the root dot, and tells zone membership by whole labels', () => {
    assert.equal(canonicalName('Web.Default.SVC.cluster.local.'), 'web.default.svc.cluster.local');
    assert.ok(inZone('web.default.svc.cluster.local', 'cluster.local'));
    assert.ok(inZone('cluster.local', 'cluster.local'));
    assert.ok(!inZone('notcluster.local', 'cluster.local'));
    assert.ok(!inZone('a\\.cluster.local', 'cluster.local'));
    assert.deepEqual(labelsBelow('_http._tcp.web.default.svc.cluster.local', 'cluster.local'), ['_http', '_tcp', 'web', 'default', 'svc']);
  });

  it('formats IPv6 as RFC 5952 and maps addresses to reverse names and back', () => {
    assert.equal(formatIPv6(parseIPv6('FD00:0:0:0:0:0:0:1')!), 'fd00::1');
    assert.equal(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
    assert.equal(formatIPv6(parseIPv6('::ffff:192.0.2.1')!), '::ffff:c000:201');
    assert.equal(canonicalIp('010.1.1.1'), undefined);
    assert.equal(reverseName('10.96.0.10'), '10.0.96.10.in-addr.arpa');
    assert.equal(ipFromReverseName('10.0.96.10.in-addr.arpa'), '10.96.0.10');
    assert.equal(ipFromReverseName('0.96.10.in-addr.arpa'), undefined);
    const v6 = reverseName('fd00::a')!;
    assert.match(v6, /^a\.(0\.){29}d\.f\.ip6\.arpa$/);
    assert.equal(ipFromReverseName(v6), 'fd00::a');
  });
});
