// Real-browser end-to-end test of the page served at GET /.
//
// Starts the real `lector` binary, drives Debian's Chromium (/usr/bin/chromium) with
// playwright-core (no browser download), and checks that the page lists engines and voices,
// that Speak makes the <audio> element decode and play the streamed /tts WAV to its end, and
// that errors are shown to the user.
//
// Run: npm ci && node --test page.test.mjs   (LECTOR_BIN overrides the binary;
// LECTOR_SCREENSHOT=/path.png saves a screenshot of the page after playback.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const LECTOR_BIN = process.env.LECTOR_BIN || '/work/main/build/release/lector';
const CHROMIUM = process.env.LECTOR_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

let server;          // the lector child process
let serverLog = '';  // its stdout+stderr, shown when it fails to start or dies
let base;            // http://127.0.0.1:PORT
let context;         // the Chromium persistent context
let userDataDir;

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

async function waitForHealth(deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`lector exited early (${server.exitCode ?? server.signalCode}):\n${serverLog}`);
    }
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`lector did not become healthy within ${deadlineMs} ms:\n${serverLog}`);
}

before(async () => {
  assert.ok(fs.existsSync(LECTOR_BIN), `LECTOR_BIN not found: ${LECTOR_BIN}`);
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found: ${CHROMIUM} (apt-get install chromium)`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(LECTOR_BIN,
    ['serve', '--host', '127.0.0.1', '--port', String(port), '--workers', '2'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => { serverLog = (serverLog + d).slice(-20000); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  await waitForHealth(30000);

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lector-chromium-'));
  // headless: true also makes playwright add --mute-audio: the media pipeline still decodes and
  // the audio renderer still consumes samples in real time (currentTime advances, 'ended'
  // fires); only the output is silent, so no sound device is needed.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 900, height: 640 },
  });
});

after(async () => {
  if (context) await context.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
});

// A fresh page with the console errors, uncaught exceptions and /tts requests it sees. The
// bytes of each /tts body that reached the browser are counted through the DevTools protocol,
// so the audio the element played can be compared with what it received.
async function openPage() {
  const page = await context.newPage();
  const problems = [];
  const tts = new Map();  // DevTools request id -> { url, status, type, bytes, finished }
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const cdp = await context.newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (e) => {
    if (new URL(e.request.url).pathname === '/tts') {
      tts.set(e.requestId, { url: e.request.url, status: 0, type: '', bytes: 0, finished: false });
    }
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = tts.get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    const h = Object.fromEntries(
      Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    r.type = h['content-type'];
  });
  cdp.on('Network.dataReceived', (e) => {
    const r = tts.get(e.requestId);
    if (r) r.bytes += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = tts.get(e.requestId);
    if (r) r.finished = true;
  });
  await cdp.send('Network.enable');
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.getElementById('status').textContent !== '', null,
    { timeout: 15000 });
  // Record the <audio> element's events (with the clock) and every status text from here on.
  await page.evaluate(() => {
    const p = document.getElementById('player');
    const s = document.getElementById('status');
    window.__statuses = [];
    new MutationObserver(() => window.__statuses.push(s.textContent))
      .observe(s, { childList: true, characterData: true, subtree: true });
    window.__events = [];
    for (const name of ['loadedmetadata', 'canplay', 'playing', 'timeupdate', 'ended', 'error']) {
      p.addEventListener(name, () => window.__events.push(
        { name, t: performance.now(), currentTime: p.currentTime, duration: p.duration }));
    }
  });
  return { page, problems, ttsRequests: () => [...tts.values()] };
}

// Seconds of audio in the one /tts body the browser received: its byte count, with the format
// read from the WAV header (the same request fetched again outside the browser).
async function receivedSeconds(ttsRequests) {
  const reqs = ttsRequests();
  assert.equal(reqs.length, 1, JSON.stringify(reqs));
  const [r] = reqs;
  assert.equal(r.status, 200);
  assert.equal(r.type, 'audio/wav');
  assert.ok(r.finished, 'the /tts body did not finish loading');
  const header = Buffer.from(await (await fetch(r.url)).arrayBuffer()).subarray(0, 44);
  assert.equal(header.toString('ascii', 0, 4), 'RIFF');
  assert.equal(header.toString('ascii', 8, 12), 'WAVE');
  assert.equal(header.readUInt32LE(40), 0xFFFFFFFF, 'data size should be "unknown" (streamed)');
  const channels = header.readUInt16LE(22);
  const rate = header.readUInt32LE(24);
  const bits = header.readUInt16LE(34);
  return (r.bytes - 44) / (rate * channels * (bits / 8));
}

// Chromium's WAV demuxer drops the last partial 4096-byte block of a WAV whose size is unknown
// when it started playing before the body ended (up to 93 ms at 22050 Hz s16 mono): allow
// that much short of the end, and nothing past it.
function assertPlayedToEnd(playedTo, expected) {
  const missing = expected - playedTo;
  assert.ok(missing > -0.005 && missing < 0.1,
    `played to ${playedTo} of ${expected} s (${(missing * 1000).toFixed(1)} ms missing)`);
}

const statusOf = (page) => page.evaluate(() => {
  const s = document.getElementById('status');
  return { text: s.textContent, error: s.classList.contains('error') };
});

const waitForEvent = (page, name, timeout) => page.waitForFunction(
  (n) => window.__events.some((e) => e.name === n), name, { timeout });

test('the page loads with the espeak engine and its voices, en-us selected', async () => {
  const { page, problems } = await openPage();
  try {
    assert.deepEqual(await statusOf(page), { text: 'Ready.', error: false });
    const engines = await page.$$eval('#engine option', (os) => os.map((o) => o.value));
    assert.ok(engines.includes('espeak'), `engines: ${engines}`);
    assert.equal(await page.inputValue('#engine'), 'espeak');
    const voices = await page.$$eval('#voice option', (os) => os.map((o) => o.value));
    assert.ok(voices.length > 100, `only ${voices.length} voices`);
    assert.ok(voices.includes('en-us'));
    assert.equal(await page.inputValue('#voice'), 'en-us');
    assert.equal(await page.locator('#text').count(), 1);
    assert.equal(await page.locator('#speak').count(), 1);
    assert.equal(await page.locator('audio#player').count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('Speak plays the streamed /tts WAV in the <audio> element to its end', async (t) => {
  const { page, problems, ttsRequests } = await openPage();
  try {
    // Two sentences: two segments, so the WAV arrives as more than one streamed piece.
    await page.fill('#text', 'Hello from the browser. Goodbye.');
    await page.click('#speak');

    await waitForEvent(page, 'playing', 30000);
    await page.waitForFunction(() => document.getElementById('player').currentTime > 0, null,
      { timeout: 15000 });
    const playing = await statusOf(page);
    assert.equal(playing.error, false);
    const m = /^Playing \(first audio after (\d+) ms\)\.$/.exec(playing.text);
    assert.ok(m, `status while playing: ${playing.text}`);
    assert.ok(Number(m[1]) < 30000, `first audio after ${m[1]} ms`);

    await waitForEvent(page, 'ended', 30000);
    assert.deepEqual(await statusOf(page), { text: 'Done.', error: false });
    // (a stall and resume fires 'playing' again, with the same first-audio time)
    const statuses = (await page.evaluate(() => window.__statuses))
      .filter((x, i, all) => i === 0 || x !== all[i - 1]);
    assert.deepEqual(statuses, ['Synthesizing…', playing.text, 'Done.']);
    const st = await page.evaluate(() => {
      const p = document.getElementById('player');
      return {
        currentTime: p.currentTime, duration: p.duration, ended: p.ended, paused: p.paused,
        played: Array.from({ length: p.played.length },
          (_, i) => [p.played.start(i), p.played.end(i)]),
        error: p.error && p.error.code, events: window.__events,
      };
    });
    assert.equal(st.error, null);
    assert.ok(st.ended && st.paused, JSON.stringify(st));

    // The element decoded the stream it received: its final position is the audio's length.
    const expected = await receivedSeconds(ttsRequests);
    t.diagnostic(`received ${expected.toFixed(3)} s of audio, played to ${st.currentTime} s`);
    assert.ok(expected > 1, `only ${expected} s of audio`);
    assertPlayedToEnd(st.currentTime, expected);
    // ... and played it from the start: one played range from 0 to the end, and time advanced
    // through several updates in between.
    assert.equal(st.played.length, 1, JSON.stringify(st.played));
    assert.ok(st.played[0][0] < 0.05, JSON.stringify(st.played));
    assertPlayedToEnd(st.played[0][1], expected);
    const updates = st.events.filter((e) => e.name === 'timeupdate' && e.currentTime > 0 &&
      e.currentTime < expected - 0.1);
    assert.ok(updates.length >= 2, `timeupdates mid-stream: ${JSON.stringify(updates)}`);
    for (let i = 1; i < updates.length; i++) {
      assert.ok(updates[i].currentTime >= updates[i - 1].currentTime, 'currentTime went back');
    }
    // ... in real time, not skipped through: from 'playing' to 'ended' takes about the audio's
    // length (lower bound tight, upper bound loose for a slow machine).
    const names = st.events.map((e) => e.name);
    assert.ok(names.indexOf('loadedmetadata') < names.indexOf('playing'), names.join(','));
    assert.ok(names.indexOf('playing') < names.indexOf('ended'), names.join(','));
    const wall = (st.events.find((e) => e.name === 'ended').t -
      st.events.find((e) => e.name === 'playing').t) / 1000;
    assert.ok(wall > expected * 0.8 && wall < expected * 4 + 2,
      `played ${expected.toFixed(2)} s of audio in ${wall.toFixed(2)} s`);

    if (process.env.LECTOR_SCREENSHOT) {
      await page.screenshot({ path: process.env.LECTOR_SCREENSHOT, fullPage: true });
    }
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a long text plays through as a stream of unknown length', async (t) => {
  const { page, problems, ttsRequests } = await openPage();
  try {
    // ~29 s of audio (~1.3 MB): more than Chromium buffers before it starts, so the element
    // typically begins with duration Infinity (the WAV header's sizes say "unknown") and learns
    // the end only when the chunked body ends. Played at 4x to keep the test short.
    const para = 'Hello! This is Lector, a streaming text-to-speech server. Every sentence is ' +
      'synthesized in a worker process, and the audio plays as soon as the first one is ready. ';
    await page.fill('#text', para.repeat(3));
    await page.evaluate(() => {
      const p = document.getElementById('player');
      p.defaultPlaybackRate = 4;
      p.addEventListener('loadedmetadata', () => { window.__firstDuration = String(p.duration); },
        { once: true });
    });
    await page.click('#speak');
    await waitForEvent(page, 'playing', 30000);
    await waitForEvent(page, 'ended', 60000);
    assert.deepEqual(await statusOf(page), { text: 'Done.', error: false });
    const st = await page.evaluate(() => ({
      currentTime: document.getElementById('player').currentTime,
      first: window.__firstDuration,
      updates: window.__events.filter((e) => e.name === 'timeupdate').length,
    }));
    const expected = await receivedSeconds(ttsRequests);
    t.diagnostic(`received ${expected.toFixed(3)} s of audio, played to ` +
      `${st.currentTime.toFixed(3)} s; duration at loadedmetadata: ${st.first}`);
    assert.ok(expected > 20, `only ${expected} s of audio`);
    assert.ok(st.updates >= 10, `only ${st.updates} timeupdates`);
    assertPlayedToEnd(st.currentTime, expected);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('errors: empty text is refused without a request; a server 4xx shows its message',
  async () => {
    const { page, ttsRequests } = await openPage();
    try {
      for (const empty of ['', '   \n ']) {
        await page.fill('#text', empty);
        await page.click('#speak');
        assert.deepEqual(await statusOf(page), { text: 'Type some text first.', error: true });
      }
      await sleep(300);
      assert.deepEqual(ttsRequests(), [], 'empty text must not reach /tts');

      // A voice the server does not know: the 400's JSON message must reach the status line.
      await page.evaluate(() => {
        const sel = document.getElementById('voice');
        sel.add(new Option('no-such-voice', 'no-such-voice'));
        sel.value = 'no-such-voice';
      });
      await page.fill('#text', 'This voice does not exist.');
      await page.click('#speak');
      await page.waitForFunction(
        () => document.getElementById('status').textContent.startsWith('Error:'), null,
        { timeout: 15000 });
      const st = await statusOf(page);
      assert.equal(st.error, true);
      assert.equal(st.text,
        "Error: parameter 'voice': unknown voice 'no-such-voice' for engine 'espeak'");
      const reqs = ttsRequests();
      assert.ok(reqs.length >= 1 && reqs.every((r) => r.status === 400), JSON.stringify(reqs));
      const names = await page.evaluate(() => window.__events.map((e) => e.name));
      assert.ok(!names.includes('playing'), names.join(','));
      assert.ok(names.includes('error'), names.join(','));

      // Back to a real voice: the page recovers and plays.
      await page.selectOption('#voice', 'en-us');
      await page.fill('#text', 'Fine again.');
      await page.click('#speak');
      await waitForEvent(page, 'ended', 30000);
      assert.deepEqual(await statusOf(page), { text: 'Done.', error: false });
    } finally {
      await page.close();
    }
  });
