// The Web Audio path: one WebSocket to /v1/stream (opened at page load, reopened on demand)
// and one AudioWorklet node (web/worklet.js) playing its PCM as it arrives.
//
// Each `speak()` is one utterance on the socket (text, then flush). Jobs wait in a queue
// until the server's `utterance_start` names their number; `word` and `done` events become
// markers in the worklet's queue, so the page hears of them when playback reaches them, not
// when they arrive (the server runs ahead of real time).

export class StreamPlayer {
  // handlers: onHeard(job), onStart(job), onWord(job, range), onServerDone(job) (the server
  // has sent all the audio: job.server is its `done` event), onFinished(job) (played to the
  // end), onError(message, job), onStats(stats).
  constructor(handlers) {
    this.h = handlers;
    this.ctx = null;
    this.node = null;
    this.ws = null;
    this.opening = null;     // promise of the socket being opened
    this.configs = [];       // {resolve, reject, key} of config messages awaiting their answer
    this.acceptedKey = null; // the config the server holds, as sent
    this.jobs = [];          // spoken, not yet started by the server
    this.utterances = new Map();  // number -> {job, rate, segments, segmentAt, wordFrom}
    this.marks = new Map();  // worklet marker id -> callback
    this.nextMark = 1;
    this.discarding = false; // cancel sent: ignore audio and events until 'cancelled'
    this.carry = null;       // the odd byte of a binary message, for the next one
    this.stats = { playedFrames: 0, nonSilentFrames: 0, gaps: 0, peak: 0, queued: 0 };
  }

  static supported() {
    return typeof AudioContext === 'function' && typeof AudioWorkletNode === 'function' &&
      typeof WebSocket === 'function';
  }

  // Created before any click, so that the click only has to start sound, not a device.
  async init() {
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    await this.ctx.audioWorklet.addModule('/web/worklet.js');
    this.node = new AudioWorkletNode(this.ctx, 'lector-player',
      { numberOfInputs: 0, outputChannelCount: [1] });
    this.node.port.onmessage = (e) => this.fromWorklet(e.data);
    this.node.connect(this.ctx.destination);
  }

  resume() {
    if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
  }

  get rate() { return this.ctx ? this.ctx.sampleRate : 0; }
  get busy() { return this.jobs.length > 0 || this.utterances.size > 0; }

  connect() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    if (this.opening) return this.opening;
    const url = new URL('/v1/stream', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.opening = new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => { this.ws = ws; this.opening = null; resolve(); };
      ws.onmessage = (e) => this.fromServer(e.data);
      ws.onclose = () => {
        if (this.opening) {
          this.opening = null;
          reject(transportError('could not open a WebSocket to the server'));
        }
        if (this.ws === ws) this.closed();
      };
    });
    return this.opening;
  }

  // Sends the settings (if they changed) and waits for the server to accept them; throws the
  // server's message when it refuses them.
  async configure(params) {
    await this.connect();
    const key = JSON.stringify(params);
    if (key === this.acceptedKey && this.configs.length === 0) return;
    const answer = new Promise((resolve, reject) => this.configs.push({ resolve, reject, key }));
    this.send({ type: 'config', ...params });
    await answer;
  }

  // One utterance. `job` carries the text and the time it was asked for (startedAt, in
  // performance.now() milliseconds); the handlers get it back with what happened.
  speak(job) {
    this.resume();
    this.send({ type: 'text', text: job.text });
    this.send({ type: 'flush' });
    this.jobs.push(job);
  }

  // Barge-in: nothing more of what was asked is played.
  stop() {
    const busy = this.busy || this.stats.queued > 0;
    this.node.port.postMessage({ type: 'clear' });
    this.marks.clear();
    this.jobs = [];
    this.utterances.clear();
    if (busy && this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.send({ type: 'cancel' });
      this.discarding = true;
    }
    return busy;
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      throw transportError('the connection to the server closed');
    }
    this.ws.send(JSON.stringify(message));
  }

  closed() {
    this.ws = null;
    this.acceptedKey = null;
    this.discarding = false;
    for (const c of this.configs) c.reject(transportError('the connection to the server closed'));
    this.configs = [];
    const jobs = [...this.jobs, ...[...this.utterances.values()].map((u) => u.job)];
    this.jobs = [];
    this.utterances.clear();
    for (const job of jobs) this.h.onError('the connection to the server closed', job);
  }

  mark(callback, arm = false) {
    const id = this.nextMark++;
    this.marks.set(id, callback);
    this.node.port.postMessage({ type: 'mark', id, arm });
  }

  fromWorklet(m) {
    if (m.type === 'stats') {
      this.stats = m;
      this.h.onStats(m);
      return;
    }
    const callback = this.marks.get(m.id);
    if (!callback) return;
    if (m.type === 'reached') {
      if (!m.arm) this.marks.delete(m.id);
      callback('reached');
    } else if (m.type === 'heard') {
      this.marks.delete(m.id);
      callback('heard', this.performanceTime(m.time));
    }
  }

  // A time of the audio clock as performance.now() time: when that sample leaves the speaker.
  performanceTime(contextTime) {
    const ts = this.ctx.getOutputTimestamp();
    if (ts && ts.performanceTime > 0) {
      return ts.performanceTime + (contextTime - ts.contextTime) * 1000;
    }
    return performance.now() + (contextTime - this.ctx.currentTime) * 1000;
  }

  fromServer(data) {
    if (typeof data !== 'string') {
      this.audio(data);
      return;
    }
    let e;
    try { e = JSON.parse(data); } catch { return; }
    if (e.type === 'config') {
      const c = this.configs.shift();
      if (c) { this.acceptedKey = c.key; c.resolve(e); }
      return;
    }
    if (e.type === 'error') {
      this.error(e);
      return;
    }
    if (e.type === 'cancelled') {
      this.discarding = false;
      return;
    }
    if (this.discarding) return;
    const u = this.utterances.get(e.utterance);
    if (e.type === 'utterance_start') {
      this.started(e);
    } else if (!u) {
      // (an utterance the page has stopped)
    } else if (e.type === 'segment_start') {
      u.segments[e.index] = e.text;
      u.segmentAt[e.index] = u.job.text.indexOf(e.text, u.wordFrom);
    } else if (e.type === 'word') {
      const range = this.locate(u, e);
      this.mark(() => this.h.onWord(u.job, range));
    } else if (e.type === 'done') {
      u.job.server = e;
      this.h.onServerDone(u.job);
      this.mark(() => {
        this.utterances.delete(e.utterance);
        this.h.onFinished(u.job);
      });
    }
  }

  started(e) {
    const job = this.jobs.shift();
    if (!job) return;
    const u = { job, rate: e.sample_rate, segments: [], segmentAt: [], wordFrom: 0 };
    this.utterances.set(e.utterance, u);
    this.carry = null;
    // The listener's "first audio" is the first sound after this point of the stream.
    this.mark((what, heardAt) => {
      if (what === 'reached') {
        this.h.onStart(job);
      } else {
        job.heardAt = heardAt;
        this.h.onHeard(job);
      }
    }, true);
  }

  // An error event answers the oldest config still waiting, if any; otherwise it ends the
  // utterance playing (a synthesis that failed) or the oldest job not started (refused).
  error(e) {
    const c = this.configs.shift();
    if (c) {
      c.reject(new Error(e.message));
      return;
    }
    if (this.discarding) return;
    let job = null;
    if (e.code === 'synthesis_failed' && this.utterances.size > 0) {
      const [number, u] = this.utterances.entries().next().value;
      this.utterances.delete(number);
      job = u.job;
    } else if (this.jobs.length > 0) {
      job = this.jobs.shift();
    }
    this.h.onError(e.message, job);
  }

  audio(buffer) {
    if (this.discarding || this.utterances.size === 0) return;
    const u = [...this.utterances.values()].pop();
    if (u.job.audioAt === undefined) u.job.audioAt = performance.now();
    let bytes = new Uint8Array(buffer);
    if (this.carry !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = null;
    }
    const n = bytes.length >> 1;
    if (bytes.length % 2 === 1) this.carry = bytes[bytes.length - 1];
    const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
    const samples = new Float32Array(n);
    for (let i = 0; i < n; i++) samples[i] = view.getInt16(2 * i, true) / 32768;
    this.node.port.postMessage({ type: 'pcm', samples, rate: u.rate }, [samples.buffer]);
  }

  // Where a word event lies in the job's text (UTF-16 indices), or null. The server's
  // start/end (code points into the utterance's text as sent) when it sends them, else the
  // word's text searched for after the previous word, within its segment when found.
  locate(u, e) {
    const text = u.job.text;
    if (Number.isInteger(e.start) && Number.isInteger(e.end)) {
      const start = unitIndex(text, e.start);
      return { start, end: unitIndex(text, e.end) };
    }
    const segmentAt = u.segmentAt[e.segment];
    const from = Math.max(u.wordFrom, segmentAt >= 0 ? segmentAt : 0);
    const at = e.text ? text.indexOf(e.text, from) : -1;
    if (at < 0) return null;
    u.wordFrom = at + e.text.length;
    return { start: at, end: u.wordFrom };
  }
}

// A failure of the socket rather than the server's answer: the page falls back to /tts.
function transportError(message) {
  const e = new Error(message);
  e.transport = true;
  return e;
}

// The UTF-16 index of code point `n` of `text`.
function unitIndex(text, n) {
  let i = 0;
  for (let k = 0; k < n && i < text.length; k++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return i;
}
