// What the browser tests share: the real `lector` binary on a free port, Debian's Chromium
// driven by playwright-core (no browser download), a static server for tests/browser/fixtures
// (the tone page the page's latency is compared with), and a page opener that records console
// errors, uncaught exceptions and Content-Security-Policy violations.
//
// Chromium's autoplay policy would keep an AudioContext created at page load suspended until
// a user gesture; the tests launch it with --autoplay-policy=no-user-gesture-required so that
// the page and the tone page both start from a running context (as a visitor's does after
// their first click), and the latency measured is the click's, not the device's start-up.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const LECTOR_BIN = process.env.LECTOR_BIN ||
  path.resolve(here, '../../build/ci/lector');
const CHROMIUM = process.env.LECTOR_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

export class Harness {
  async start() {
    assert.ok(fs.existsSync(LECTOR_BIN), `LECTOR_BIN not found: ${LECTOR_BIN}`);
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found: ${CHROMIUM} (apt-get install chromium)`);
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.log = '';
    // Two engines, so the picker lists voices of several (festival would add seconds of
    // start-up for nothing more).
    this.server = spawn(LECTOR_BIN, ['serve', '--host', '127.0.0.1', '--port', String(port),
      '--workers', '2', '--engines', 'espeak,flite'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => { this.log = (this.log + d).slice(-20000); };
    this.server.stdout.on('data', keep);
    this.server.stderr.on('data', keep);
    await this.waitReady(30000);

    this.fixtures = http.createServer((req, res) => {
      const name = path.basename(new URL(req.url, 'http://x').pathname);
      const file = path.join(here, 'fixtures', name);
      if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
      const type = name.endsWith('.html') ? 'text/html' : 'text/javascript';
      res.writeHead(200, { 'Content-Type': type }).end(fs.readFileSync(file));
    });
    await new Promise((r) => this.fixtures.listen(0, '127.0.0.1', r));
    this.fixturesBase = `http://127.0.0.1:${this.fixtures.address().port}`;

    this.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lector-chromium-'));
    // headless: true also makes playwright add --mute-audio: Web Audio still renders in real
    // time (the worklet runs, the clock advances) and the element still decodes and plays;
    // only the output is silent, so no sound device is needed.
    this.context = await chromium.launchPersistentContext(this.userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 900, height: 1000 },
      acceptDownloads: true,
    });
  }

  async stop() {
    if (this.context) await this.context.close().catch(() => {});
    if (this.userDataDir) fs.rmSync(this.userDataDir, { recursive: true, force: true });
    if (this.fixtures) this.fixtures.close();
    const s = this.server;
    if (s && s.exitCode === null && s.signalCode === null) {
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      const timer = setTimeout(() => s.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
  }

  // Every engine has a live worker (/readyz), so /api/voices lists them all.
  async waitReady(deadlineMs) {
    const end = Date.now() + deadlineMs;
    while (Date.now() < end) {
      if (this.server.exitCode !== null || this.server.signalCode !== null) {
        throw new Error(`lector exited early:\n${this.log}`);
      }
      try {
        if ((await fetch(`${this.base}/readyz`)).ok) return;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`lector was not ready within ${deadlineMs} ms:\n${this.log}`);
  }

  async json(route) {
    const r = await fetch(this.base + route);
    return r.json();
  }

  // The server has no request in flight (within `ms`).
  async waitIdle(ms = 5000) {
    const end = Date.now() + ms;
    let st;
    while (Date.now() < end) {
      st = await this.json('/status');
      if (st.requests_active === 0 && st.requests_held === 0) return st;
      await sleep(50);
    }
    assert.fail(`server not idle: ${JSON.stringify(st)}`);
  }

  // The page at `route`, ready (voices loaded), with `problems` collecting console errors,
  // uncaught exceptions and CSP violations.
  async open(route = '/') {
    const page = await this.context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const response = await page.goto(this.base + route);
    // Chromium throttles timers and animation frames of tabs in the background, which
    // playwright's clicks and waits rely on: a page under test is always in front.
    await page.bringToFront();
    await page.waitForFunction(() => window.lectorStats && window.lectorStats.ready, null,
      { timeout: 15000 });
    return { page, problems, response };
  }
}

export const stats = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.lectorStats)));

export const statusOf = (page) => page.evaluate(() => {
  const s = document.getElementById('status');
  return { text: s.textContent, error: s.classList.contains('error') };
});

// Waits until `predicate(window.lectorStats, arg)` holds in the page. (A function, not a
// string: the page's CSP forbids the eval a string predicate needs.)
export function waitStats(page, predicate, arg = null, timeout = 15000) {
  return page.waitForFunction(predicate, arg, { timeout });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
