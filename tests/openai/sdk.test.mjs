// The official `openai` npm SDK (pinned in package.json) against the real `lector` binary:
// client.audio.speech.create in every response format, read whole and streamed, with
// stream_format "sse"; client.models.list(); and the SDK's typed errors for bad parameters.
// Every result is decoded by the test tool lector-decode (tests/tools/decode.cpp) and must
// have 24 kHz audio whose duration is within 3 % of the WAV result.
//
// Run: npm ci && node --test sdk.test.mjs   (LECTOR_BIN and LECTOR_DECODE override the
// binaries; by default lector-decode is looked for next to lector.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';

const LECTOR_BIN = process.env.LECTOR_BIN || '/work/main/build/ci/lector';
const LECTOR_DECODE = process.env.LECTOR_DECODE || path.join(path.dirname(LECTOR_BIN), 'lector-decode');
const TEXT = 'The quick brown fox jumps over the lazy dog. It was not amused at all.';
const FORMATS = ['mp3', 'opus', 'flac', 'wav', 'pcm'];  // aac: a 400, tested below

let server;
let serverLog = '';
let base;
let client;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function decode(format, bytes) {
  const args = format === 'pcm' ? [format, '24000'] : [format];
  const out = execFileSync(LECTOR_DECODE, args, { input: bytes });
  return JSON.parse(out.toString());
}

async function status() {
  return (await fetch(`${base}/status`)).json();
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(LECTOR_BIN, ['serve', '--host', '127.0.0.1', '--port', String(port),
    '--engines', 'espeak', '--workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  const end = Date.now() + 20000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`lector exited early:\n${serverLog}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error(`lector not healthy:\n${serverLog}`);
    await sleep(100);
  }
  // The SDK wants a key; Lector does not check one unless configured. No retries: a failure
  // must show, not be retried away.
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-checked', maxRetries: 0 });
});

after(async () => {
  if (!server) return;
  // The server is idle again: every response ended its request.
  const deadline = Date.now() + 10000;
  let st = await status();
  while ((st.requests_active !== 0 || st.segments_queued !== 0) && Date.now() < deadline) {
    await sleep(50);
    st = await status();
  }
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  assert.equal(st.requests_active, 0, JSON.stringify(st));
  assert.equal(st.segments_queued, 0, JSON.stringify(st));
});

async function speech(format, extra = {}) {
  return client.audio.speech.create({
    model: 'tts-1', voice: 'alloy', input: TEXT, response_format: format, ...extra,
  });
}

test('every format, read whole, decodes at 24 kHz within 3 % of the WAV duration', async () => {
  const wav = decode('wav', Buffer.from(await (await speech('wav')).arrayBuffer()));
  assert.equal(wav.sample_rate, 24000);
  assert.ok(wav.seconds > 2, JSON.stringify(wav));
  for (const format of FORMATS) {
    const res = await speech(format);
    const got = decode(format, Buffer.from(await res.arrayBuffer()));
    assert.equal(got.sample_rate, 24000, format);
    assert.ok(Math.abs(got.seconds - wav.seconds) <= 0.03 * wav.seconds,
      `${format}: ${got.seconds} s against ${wav.seconds} s`);
  }
});

test('every format, streamed, arrives in pieces that decode together', async () => {
  const long = Array(4).fill(TEXT).join(' ');
  const wav = decode('wav', Buffer.from(await (await speech('wav', { input: long })).arrayBuffer()));
  for (const format of FORMATS) {
    const res = await speech(format, { input: long });
    const pieces = [];
    for await (const piece of res.body) pieces.push(Buffer.from(piece));
    assert.ok(pieces.length > 1, `${format}: one piece only`);
    const got = decode(format, Buffer.concat(pieces));
    assert.equal(got.sample_rate, 24000, format);
    assert.ok(Math.abs(got.seconds - wav.seconds) <= 0.03 * wav.seconds,
      `${format}: ${got.seconds} s against ${wav.seconds} s`);
  }
});

test('stream_format sse: speech.audio.delta events, then speech.audio.done with usage', async () => {
  const res = await speech('mp3', { stream_format: 'sse' });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const events = (await res.text()).split('\n\n').filter((b) => b.startsWith('data: '))
    .map((b) => JSON.parse(b.slice(6)));
  const deltas = events.filter((e) => e.type === 'speech.audio.delta');
  assert.ok(deltas.length > 1);
  const done = events.at(-1);
  assert.equal(done.type, 'speech.audio.done');
  assert.equal(done.usage.input_tokens, TEXT.length);
  const audio = Buffer.concat(deltas.map((e) => Buffer.from(e.audio, 'base64')));
  const got = decode('mp3', audio);
  assert.equal(got.sample_rate, 24000);
  assert.ok(got.seconds > 2);
});

test('speed 2 halves the duration and 0.5 doubles it', async () => {
  const seconds = async (speed) =>
    decode('wav', Buffer.from(await (await speech('wav', { speed })).arrayBuffer())).seconds;
  const normal = await seconds(1);
  const fast = await seconds(2);
  const slow = await seconds(0.5);
  assert.ok(Math.abs(fast / normal - 0.5) < 0.12, `speed 2: ${fast} s against ${normal} s`);
  assert.ok(Math.abs(slow / normal - 2) < 0.4, `speed 0.5: ${slow} s against ${normal} s`);
});

test('models.list names the OpenAI models and the engines', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  for (const id of ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'espeak']) assert.ok(ids.includes(id), id);
});

test('bad parameters are the SDK typed errors, naming the parameter', async () => {
  const cases = [
    [{ voice: 'nobody' }, 'voice'],
    [{ model: 'tts-9' }, 'model'],
    [{ response_format: 'aac' }, 'response_format'],
    [{ speed: 9 }, 'speed'],
    [{ input: '' }, 'input'],
  ];
  for (const [extra, param] of cases) {
    await assert.rejects(speech('mp3', extra), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${param}: ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      assert.equal(e.type, 'invalid_request_error');
      assert.ok(e.message.includes(param), e.message);
      return true;
    });
  }
});
