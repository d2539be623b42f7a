// The page at /: pick a voice, set the parameters, Speak, Stop, Download, Live mode.
//
// Audio plays through Web Audio (stream.js: /v1/stream PCM into an AudioWorklet) when the
// browser has an AudioWorklet and the WebSocket opens; otherwise, or with ?player=element,
// through the <audio> element playing /tts. window.lectorStats exposes what the page measured
// (for the browser tests and for the curious).

import { LiveFeed } from './live.js';
import { StreamPlayer } from './stream.js';
import { VoicePicker } from './voices.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);

const stats = {
  path: '',          // 'webaudio' or 'element'
  contextRate: 0,    // the AudioContext's sample rate
  ready: false,      // voices loaded
  utterances: [],    // one per utterance heard: firstAudioMs, server figures
  words: [],         // the words highlighted, in order
  worklet: {},       // the player's counters: playedFrames, nonSilentFrames, gaps, peak
  element: {},       // the <audio> fallback's last run
};
window.lectorStats = stats;

let player = null;   // the StreamPlayer, when the Web Audio path works
let voice = null;    // the chosen voice's record from /api/voices
const feed = new LiveFeed();
let shownJob = null; // the job whose text the transcript shows

function status(message, isError = false) {
  const s = $('status');
  s.textContent = message;
  s.classList.toggle('error', isError);
}
const failed = (message) => status(`Error: ${message}`, true);

// The synthesis parameters, as the server names them; empty fields are left to its defaults.
function settings() {
  const out = { voice: voice ? voice.id : undefined };
  for (const [name, id] of [['speed', 'speed'], ['pitch', 'pitch'], ['volume', 'volume'],
    ['sentence_silence', 'pause']]) {
    const v = $(id).value.trim();
    if (v !== '') out[name] = Number(v);
  }
  if ($('rate').value) out.sample_rate = Number($('rate').value);
  return out;
}

// The stream's settings: PCM at the context's own rate unless a rate was chosen, so the
// server's resampler (libsoxr) does the conversion rather than the worklet's interpolation.
function streamSettings() {
  const s = settings();
  if (s.sample_rate === undefined) s.sample_rate = Math.min(48000, Math.max(8000, player.rate));
  return s;
}

function ttsQuery(text, format) {
  const q = new URLSearchParams({ text, format });
  for (const [k, v] of Object.entries(settings())) if (v !== undefined) q.set(k, String(v));
  return q.toString();
}

const language = () => (voice && voice.languages[0]) || 'en';

function showTranscript(job, range) {
  shownJob = job;
  const t = $('transcript');
  if (!range || range.end <= range.start) {
    t.textContent = job.text;
    return;
  }
  const word = document.createElement('mark');
  word.textContent = job.text.slice(range.start, range.end);
  t.replaceChildren(job.text.slice(0, range.start), word, job.text.slice(range.end));
  stats.words.push(word.textContent);
}

function summary(u) {
  const parts = [Number.isFinite(u.firstAudioMs)
    ? `first audio after ${Math.round(u.firstAudioMs)} ms` : 'no sound'];
  if (u.realTimeFactor !== undefined) {
    parts.push(`real-time factor ${u.realTimeFactor.toFixed(3)}`);
  }
  if (u.serverFirstAudioMs !== undefined && u.serverFirstAudioMs >= 0) {
    parts.push(`server's first audio after ${u.serverFirstAudioMs.toFixed(1)} ms`);
  }
  if (u.audioSeconds !== undefined) parts.push(`${u.audioSeconds.toFixed(2)} s of audio`);
  return parts.join(', ');
}

const handlers = {
  onStart: (job) => showTranscript(job, null),
  onHeard(job) {
    job.record = {
      path: 'webaudio',
      text: job.text,
      firstAudioMs: job.heardAt - job.startedAt,
      firstBytesMs: job.audioAt - job.startedAt,  // the first audio message reached the page
    };
    stats.utterances.push(job.record);
    status(`Playing: first audio after ${Math.round(job.record.firstAudioMs)} ms.`);
  },
  onWord(job, range) { if (range) showTranscript(job, range); },
  onServerDone(job) {
    if (!job.record) return;
    Object.assign(job.record, {
      serverFirstAudioMs: job.server.time_to_first_audio_ms,
      realTimeFactor: job.server.real_time_factor,
      audioSeconds: job.server.audio_seconds,
    });
  },
  onFinished(job) {
    if (!job.record) {
      job.record = { path: 'webaudio', text: job.text, firstAudioMs: NaN };
      stats.utterances.push(job.record);
    }
    handlers.onServerDone(job);
    const r = job.record;
    r.done = true;
    $('stats').textContent = `Last utterance: ${summary(r)}.`;
    if (shownJob === job) showTranscript(job, null);
    if (!player.busy) status(`Done: ${summary(r)}.`);
  },
  onError: (message) => failed(message),
  onStats: (s) => Object.assign(stats.worklet, s),
};

// The fallback: /tts in the <audio> element, which plays once it has buffered enough.
function playElement(text, startedAt) {
  const p = $('player');
  const format = $('format').value === 'pcm' ? 'wav' : $('format').value;
  const url = `/tts?${ttsQuery(text, format)}`;
  const run = { url, startedAt, firstAudioMs: null, ended: false };
  stats.element = run;
  p.hidden = false;
  p.onplaying = (e) => {
    if (run.firstAudioMs === null) run.firstAudioMs = e.timeStamp - startedAt;
    status(`Playing: first audio after ${Math.round(run.firstAudioMs)} ms.`);
  };
  p.onended = () => {
    run.ended = true;
    const r = { path: 'element', text, firstAudioMs: run.firstAudioMs, audioSeconds: p.duration };
    // The real-time factor as this browser saw it: the whole body's arrival over its length.
    const timing = performance.getEntriesByName(new URL(url, location.href).href).pop();
    if (timing && timing.responseEnd > 0 && p.duration > 0) {
      r.realTimeFactor = (timing.responseEnd - timing.startTime) / 1000 / p.duration;
    }
    stats.utterances.push(r);
    $('stats').textContent = `Last utterance: ${summary(r)}.`;
    status(`Done: ${summary(r)}.`);
  };
  // <audio> cannot show the JSON body of an error answer: ask once more with fetch to read the
  // server's message (an error answer costs no synthesis).
  p.onerror = async () => {
    let message = `playback failed (media error ${p.error ? p.error.code : 0})`;
    try {
      const r = await fetch(url);
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        message = body.error || `HTTP ${r.status}`;
      } else if (r.body) {
        r.body.cancel();
      }
    } catch { /* keep the media error */ }
    if (stats.element === run) failed(message);
  };
  p.src = url;
  p.play().catch(() => { /* onerror reports it */ });
}

function stopElement() {
  const p = $('player');
  if (!p.getAttribute('src')) return false;
  const playing = !p.paused && !p.ended;
  p.onerror = null;
  p.pause();
  p.removeAttribute('src');
  p.load();  // drops the connection: the server cancels the synthesis
  return playing;
}

async function sendStream(text, startedAt) {
  await player.configure(streamSettings());
  player.speak({ text, startedAt });
}

async function speak(event) {
  const startedAt = event.timeStamp;
  if (player) player.resume();
  const text = $('text').value;
  if ($('live').checked && player) {
    const rest = feed.rest(text, language());
    if (rest) {
      status('Synthesizing…');
      sendStream(rest, startedAt).catch((e) => failed(e.message));
    } else {
      status('Nothing new to speak: Live mode has spoken the text already.');
    }
    return;
  }
  if (!text.trim()) { failed('type some text first.'); return; }
  if (!voice) { failed('no voice matches the filters; choose a voice first.'); return; }
  stopAll();
  status('Synthesizing…');
  if (!player) { playElement(text, startedAt); return; }
  try {
    await sendStream(text, startedAt);
  } catch (e) {
    if (!e.transport) { failed(e.message); return; }
    status('The WebSocket is unavailable: playing through the audio element.');
    playElement(text, startedAt);
  }
}

function stopAll() {
  const a = player ? player.stop() : false;
  const b = stopElement();
  return a || b;
}

function stop() {
  const was = stopAll();
  if ($('live').checked) feed.reset($('text').value);
  status(was ? 'Stopped.' : 'Nothing is playing.');
}

async function download() {
  const text = $('text').value;
  if (!text.trim()) { failed('type some text first.'); return; }
  const format = $('format').value;
  status(`Preparing the ${format} file…`);
  try {
    const r = await fetch(`/tts?${ttsQuery(text, format)}`);
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      failed(body.error || `HTTP ${r.status}`);
      return;
    }
    const blob = await r.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `lector.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    status(`Saved lector.${format} (${Math.round(blob.size / 1024)} KiB).`);
  } catch (e) {
    failed(e.message);
  }
}

// Settings go to the server as they change, so Speak rarely waits for their answer; a refusal
// is shown at once (and again on Speak, which sends them again).
function settingsChanged() {
  if (!player || !voice) return;
  player.configure(streamSettings()).then(() => {
    if ($('status').classList.contains('error')) status('Ready.');
  }, (e) => failed(e.message));
}

function typed() {
  if (!$('live').checked || !player) return;
  const chunk = feed.feed($('text').value, language());
  if (chunk) sendStream(chunk, performance.now()).catch((e) => failed(e.message));
}

function wire() {
  $('speak').addEventListener('click', speak);
  $('stop').addEventListener('click', stop);
  $('download').addEventListener('click', download);
  $('text').addEventListener('input', typed);
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); speak(e); }
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') stop(); });
  $('live').addEventListener('change', () => {
    feed.reset($('text').value);
    status($('live').checked
      ? 'Live mode on: each sentence is spoken when you finish typing it.' : 'Live mode off.');
  });
  for (const id of ['speed', 'pitch', 'volume', 'pause', 'rate']) {
    $(id).addEventListener('change', settingsChanged);
  }
  // Autoplay rules keep a context created without a gesture suspended until one comes.
  for (const name of ['pointerdown', 'keydown']) {
    document.addEventListener(name, () => player && player.resume(), { capture: true });
  }
}

async function init() {
  wire();
  if (query.get('player') !== 'element' && StreamPlayer.supported()) {
    try {
      player = new StreamPlayer(handlers);
      await player.init();
      player.connect().catch(() => { /* retried on Speak */ });
    } catch {
      player = null;
    }
  }
  stats.path = player ? 'webaudio' : 'element';
  stats.contextRate = player ? player.rate : 0;
  $('live').disabled = !player;
  $('path').textContent = player
    ? `Audio: Web Audio, streamed over a WebSocket (${player.rate} Hz).`
    : 'Audio: the audio element (fallback); Live mode needs Web Audio.';
  const picker = new VoicePicker({
    language: $('language'), gender: $('gender'), search: $('search'), voice: $('voice'),
    count: $('voice-count'),
  }, (v) => { voice = v; settingsChanged(); });
  try {
    await picker.load('espeak:en-us');
    stats.ready = true;
    status('Ready.');
  } catch (e) {
    failed(`could not load the voices: ${e.message}`);
  }
}

init();
