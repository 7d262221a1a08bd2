import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  decodeFrame,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FrameReader,
  HeaderCompressor,
  HeaderDecompressor,
  RstStatus,
  SpdyProtocolError,
  SpdySession,
  SpdyStreamResetError,
  spdyDictionary,
  type SpdyFrame,
  type SpdyStream,
} from './spdy.ts';

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// Written by moby/spdystream's Framer (Go, compress/zlib at BestCompression with the SPDY/3 dictionary): what kubectl
// sends, then what its server side sends. The two SYN_STREAMs share one zlib stream, so the second depends on the first.
const GO_CLIENT_FRAMES = Buffer.from(
  '80030001000000290000000100000000000078f9e3c6a7c26260606004a7b392a2d4c45c6851c29a0a0a6800000000ffff' +
    '800300010000001600000003000000000000c22a052a651201000000ffff' +
    '000000030000000568656c6c6f' +
    '0000000101000000' +
    '800300060000000400000001' +
    '80030003000000080000000300000005' +
    '80030008000000190000000382cab057e8e696e69464828b52862400000000ffff' +
    '800300070000000800000002' +
    '00000000' +
    '800300040000000c000000010000000700010000' +
    '800300090000000800000003000003e8',
  'hex',
);
const GO_SERVER_FRAMES = Buffer.from('80030002000000140000000178f9e3c6a7c26260606000000000ffff800300020100000c00000003026100000000ffff', 'hex');

async function decodeAll(bytes: Buffer, chunkSize = bytes.length): Promise<SpdyFrame[]> {
  const reader = new FrameReader();
  const decompressor = new HeaderDecompressor();
  const frames: SpdyFrame[] = [];
  try {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      reader.push(bytes.subarray(offset, offset + chunkSize));
      for (let raw = reader.next(); raw; raw = reader.next()) {
        const frame = await decodeFrame(raw, decompressor);
        if (frame) frames.push(frame);
      }
    }
  } finally {
    decompressor.close();
  }
  return frames;
}

describe('SPDY/3 frames', () => {
  it('builds the header dictionary whose Adler-32 Go peers put in their zlib headers', () => {
    const dictionary = spdyDictionary();
    assert.equal(dictionary.length, 1423);
    // DICTID of the zlib streams above: 78 f9 | e3 c6 a7 c2.
    assert.equal(adler32(dictionary), 0xe3c6a7c2);
    assert.equal(GO_CLIENT_FRAMES.readUInt32BE(20), 0xe3c6a7c2);
  });

  it("decodes spdystream's frames, split at every byte boundary", async () => {
    const expected: SpdyFrame[] = [
      { type: 'SYN_STREAM', streamId: 1, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'error' } },
      { type: 'SYN_STREAM', streamId: 3, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'data' } },
      { type: 'DATA', streamId: 3, fin: false, data: Buffer.from('hello') },
      { type: 'DATA', streamId: 1, fin: true, data: Buffer.alloc(0) },
      { type: 'PING', id: 1 },
      { type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL },
      { type: 'HEADERS', streamId: 3, fin: false, headers: { 'x-multi': 'a\0b' } },
      { type: 'GOAWAY', lastGoodStreamId: 2, status: 0 },
      { type: 'SETTINGS', clear: false, settings: [{ flags: 0, id: 7, value: 65536 }] },
      { type: 'WINDOW_UPDATE', streamId: 3, delta: 1000 },
    ];
    assert.deepEqual(await decodeAll(GO_CLIENT_FRAMES), expected);
    assert.deepEqual(await decodeAll(GO_CLIENT_FRAMES, 1), expected);
    assert.deepEqual(await decodeAll(GO_SERVER_FRAMES, 7), [
      { type: 'SYN_REPLY', streamId: 1, fin: false, headers: {} },
      { type: 'SYN_REPLY', streamId: 3, fin: true, headers: {} },
    ]);
  });

  it('round-trips every frame type through one compression context per direction', async () => {
    const frames: SpdyFrame[] = [
      { type: 'SYN_STREAM', streamId: 5, associatedStreamId: 3, priority: 7, fin: true, unidirectional: true, headers: { port: '8080', requestid: '12' } },
      { type: 'SYN_REPLY', streamId: 5, fin: false, headers: {} },
      { type: 'HEADERS', streamId: 5, fin: true, headers: { 'x-long': 'v'.repeat(70_000) } },
      { type: 'DATA', streamId: 0x7fffffff, fin: true, data: Buffer.from([0, 1, 2, 255]) },
      { type: 'RST_STREAM', streamId: 9, status: RstStatus.REFUSED_STREAM },
      { type: 'SETTINGS', clear: true, settings: [{ flags: 1, id: 4, value: 100 }, { flags: 0, id: 7, value: 1 << 20 }] },
      { type: 'PING', id: 0xfffffffe },
      { type: 'GOAWAY', lastGoodStreamId: 41, status: 2 },
      { type: 'WINDOW_UPDATE', streamId: 0, delta: 0x7fffffff },
      { type: 'SYN_STREAM', streamId: 7, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { port: '8080', requestid: '13' } },
    ];
    const compressor = new HeaderCompressor();
    const bytes = Buffer.concat(await Promise.all(frames.map((frame) => encodeFrame(frame, compressor))));
    compressor.close();
    assert.deepEqual(await decodeAll(bytes, 1000), frames);
  });

  it('encodes header blocks with lower-case names and 32-bit lengths', () => {
    const block = encodeHeaderBlock({ StreamType: 'data', port: '80' });
    assert.equal(block.toString('hex'), '00000002' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000004' + Buffer.from('data').toString('hex') + '00000004' + Buffer.from('port').toString('hex') + '00000002' + Buffer.from('80').toString('hex'));
    assert.deepEqual(decodeHeaderBlock(block), { streamtype: 'data', port: '80' });
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), SpdyProtocolError);
  });

  it('rejects frames that are not SPDY/3', async () => {
    const v2 = Buffer.from('800200060000000400000001', 'hex');
    await assert.rejects(decodeAll(v2), /unsupported SPDY version 2/);
    const shortPing = Buffer.from('80030006000000020001', 'hex');
    await assert.rejects(decodeAll(shortPing), SpdyProtocolError);
    const garbageHeaders = Buffer.from('8003000200000008000000010102030405', 'hex').subarray(0, 16);
    await assert.rejects(decodeAll(garbageHeaders), SpdyProtocolError);
  });
});

async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const [serverSide] = await accepted;
  await once(client, 'connect');
  server.close();
  return [client, serverSide];
}

// Not `for await`: finishing the iteration destroys the stream, and with it a Duplex's writable side.
function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function closed(stream: SpdyStream): Promise<void> {
  return new Promise((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
}

describe('SPDY/3.1 session', () => {
  let client: SpdySession;
  let server: SpdySession;
  const accepted: SpdyStream[] = [];

  before(async () => {
    const [clientSocket, serverSocket] = await socketPair();
    client = new SpdySession(clientSocket, { role: 'client', maxFramePayload: 4096 });
    server = new SpdySession(serverSocket, { role: 'server' });
    server.on('stream', (stream) => {
      accepted.push(stream);
      const mode = stream.headers.mode;
      if (mode === 'refuse') return stream.reset(RstStatus.REFUSED_STREAM);
      stream.respond({ accepted: 'yes' });
      if (mode === 'echo') stream.pipe(stream);
      if (mode === 'upper') {
        // Reads to the client's FIN, then answers and finishes its own side.
        void readAll(stream).then((body) => stream.end(body.toString().toUpperCase()));
      }
    });
  });

  after(() => {
    client?.destroy();
    server?.destroy();
  });

  it('opens a stream with headers, gets the reply headers and echoes data both ways', async () => {
    const stream = client.openStream({ mode: 'echo', streamtype: 'data', port: '80' });
    assert.equal(stream.id % 2, 1);
    assert.deepEqual(await stream.replied, { accepted: 'yes' });
    const remote = accepted.at(-1)!;
    assert.deepEqual(remote.headers, { mode: 'echo', streamtype: 'data', port: '80' });
    assert.equal(remote.local, false);
    const body = Buffer.alloc(100_000, 'x');
    stream.end(body);
    assert.deepEqual(await readAll(stream), body);
    await closed(stream);
    assert.equal(stream.rstStatus, undefined);
  });

  it('half-closes: the server reads to the client FIN, then answers and ends its side', async () => {
    const stream = client.openStream({ mode: 'upper' });
    stream.write('hello ');
    stream.end('world');
    assert.equal((await readAll(stream)).toString(), 'HELLO WORLD');
    await closed(stream);
    assert.equal(client.streamCount, 0);
  });

  it('writes before the reply wait for it (spdystream drops DATA on unreplied streams)', async () => {
    const stream = client.openStream({ mode: 'upper' });
    stream.end('early');
    assert.equal((await readAll(stream)).toString(), 'EARLY');
  });

  it('carries many concurrent streams without mixing their bytes', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const stream = client.openStream({ mode: 'echo' });
        const body = Buffer.alloc(20_000 + i * 997, String.fromCharCode(65 + (i % 26)));
        stream.end(body);
        return (await readAll(stream)).equals(body);
      }),
    );
    assert.deepEqual(results, results.map(() => true));
  });

  it('a refused stream rejects `replied` with the RST status and closes', async () => {
    const stream = client.openStream({ mode: 'refuse' });
    stream.on('error', () => undefined);
    await assert.rejects(stream.replied, (error: unknown) => error instanceof SpdyStreamResetError && error.status === RstStatus.REFUSED_STREAM);
    await closed(stream);
    assert.equal(stream.rstStatus, RstStatus.REFUSED_STREAM);
  });

  it('reset() cancels the stream on both sides', async () => {
    const stream = client.openStream({ mode: 'hold' });
    await stream.replied;
    const remote = accepted.at(-1)!;
    const remoteClosed = closed(remote);
    stream.reset();
    await remoteClosed;
    assert.equal(remote.rstStatus, RstStatus.CANCEL);
    assert.equal(remote.readableEnded, false);
  });

  it('answers PING', async () => {
    await client.ping();
    await server.ping();
  });

  it('close() sends GOAWAY and ends every stream on both sides', async () => {
    const stream = client.openStream({ mode: 'hold' });
    await stream.replied;
    const remote = accepted.at(-1)!;
    const goaway = once(client, 'goaway');
    server.close();
    const [lastGood] = (await goaway) as [number];
    assert.equal(lastGood, stream.id);
    await Promise.all([closed(stream), closed(remote)]);
    assert.equal(await client.closed, undefined);
    assert.equal(await server.closed, undefined);
    assert.throws(() => client.openStream({}), /closed/);
  });
});

describe('SPDY/3.1 session, broken peers', () => {
  it('a protocol error ends the session with SpdyProtocolError', async () => {
    const [clientSocket, serverSocket] = await socketPair();
    const server = new SpdySession(serverSocket, { role: 'server' });
    clientSocket.write(Buffer.from('800200060000000400000001', 'hex'));
    const error = await server.closed;
    assert.ok(error instanceof SpdyProtocolError, String(error));
    clientSocket.destroy();
  });

  it('destroying the transport closes open streams', async () => {
    const [clientSocket, serverSocket] = await socketPair();
    const client = new SpdySession(clientSocket, { role: 'client' });
    const server = new SpdySession(serverSocket, { role: 'server' });
    server.on('stream', (stream) => stream.respond());
    const stream = client.openStream({});
    await stream.replied;
    serverSocket.destroy();
    await closed(stream);
    assert.equal(stream.readableEnded, false);
    await client.closed;
    await server.closed;
  });
});
