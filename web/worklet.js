// The page's player: an AudioWorkletProcessor fed with mono PCM as it arrives from /v1/stream.
// It plays what it has at once (no pre-buffer: the server runs far ahead of real time, and
// every millisecond buffered here is a millisecond before the listener hears the first word),
// converts the stream's rate to the context's by linear interpolation when they differ, and
// tells the page when playback reaches a marker the page queued (word highlights, the end of
// an utterance) and when it plays the first non-silent sample after being armed.
//
// Messages in (port): {type: 'pcm', samples: Float32Array, rate}, {type: 'mark', id, arm},
// {type: 'clear'}. Messages out: {type: 'reached', id, arm, time}, {type: 'heard', id, time}
// (the first sound after an armed mark), {type: 'stats', ...}. `time` is in the context's
// clock (seconds).

// A sample at least this loud counts as sound (about -48 dBFS): the measure of "first audio"
// the page and its tests share with the tone page they compare against.
const kHeardLevel = 1 / 256;
// Counters go to the page at most this often while playing (render quanta of 128 frames).
const kStatsEvery = 8;

class LectorPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];       // {samples, rate} or {mark}, in stream order
    this.index = 0;        // read position in queue[0].samples
    this.frac = 0;         // position between the previous sample and queue[0].samples[index]
    this.prev = 0;         // the last input sample consumed, for interpolation
    this.armed = null;     // the armed mark waiting for the first sound after it
    this.stats = { playedFrames: 0, nonSilentFrames: 0, gaps: 0, peak: 0 };
    this.starved = true;   // the last quantum ran out of input
    this.quanta = 0;
    this.port.onmessage = (e) => this.receive(e.data);
  }

  receive(m) {
    if (m.type === 'pcm') {
      if (m.samples.length > 0) this.queue.push({ samples: m.samples, rate: m.rate });
    } else if (m.type === 'mark') {
      this.queue.push({ mark: m.id, arm: m.arm });
    } else if (m.type === 'clear') {
      this.queue = [];
      this.index = 0;
      this.frac = 0;
      this.prev = 0;
      this.armed = null;
      this.port.postMessage({ type: 'stats', ...this.stats, queued: 0 });
    }
  }

  // Posts the markers at the head of the queue, as reached at output frame `i`.
  takeMarks(i) {
    while (this.queue.length > 0 && this.queue[0].mark !== undefined) {
      const { mark, arm } = this.queue.shift();
      this.index = 0;
      if (arm) this.armed = mark;
      this.port.postMessage({ type: 'reached', id: mark, arm, time: currentTime + i / sampleRate });
    }
  }

  // The next input sample, or undefined when none has arrived yet.
  next(i) {
    this.takeMarks(i);
    const head = this.queue[0];
    if (head === undefined) return undefined;
    const s = head.samples[this.index++];
    if (this.index >= head.samples.length) {
      this.queue.shift();
      this.index = 0;
    }
    return s;
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    let produced = 0;
    for (let i = 0; i < out.length; i++) {
      this.takeMarks(i);
      const head = this.queue[0];
      if (head === undefined) break;
      let v;
      if (head.rate === sampleRate) {
        v = this.next(i);
        this.prev = v;
      } else {
        // Linear interpolation between the previous sample and the next one, stepping by
        // the ratio of the rates; the step may consume several input samples.
        const step = head.rate / sampleRate;
        const ahead = head.samples[this.index];
        v = this.prev + (ahead - this.prev) * this.frac;
        this.frac += step;
        let gone = false;
        while (this.frac >= 1) {
          const s = this.next(i);
          if (s === undefined) { gone = true; break; }
          this.prev = s;
          this.frac -= 1;
        }
        if (gone) this.frac = 0;
      }
      out[i] = v;
      produced++;
      const level = Math.abs(v);
      if (level >= kHeardLevel) {
        this.stats.nonSilentFrames++;
        if (this.armed !== null) {
          this.port.postMessage({ type: 'heard', id: this.armed, time: currentTime + i / sampleRate });
          this.armed = null;
        }
      }
      if (level > this.stats.peak) this.stats.peak = level;
    }
    out.fill(0, produced);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.stats.playedFrames += produced;
    const starved = produced < out.length;
    // A quantum that ran dry part-way: the end of an utterance, or input that came too late.
    if (starved && produced > 0) this.stats.gaps++;
    if (produced > 0 ? ++this.quanta % kStatsEvery === 0 : starved !== this.starved) {
      this.port.postMessage({ type: 'stats', ...this.stats, queued: this.queue.length });
    }
    this.starved = starved;
    return true;
  }
}

registerProcessor('lector-player', LectorPlayer);
