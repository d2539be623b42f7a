// Live mode: what is typed is spoken sentence by sentence, each as soon as it is complete.
//
// The page sends a sentence only once the writer has finished it (it ends in terminal
// punctuation followed by a space or a new line, or another sentence has begun after it), and
// flushes it at once: the server's own segmenter would otherwise wait for the next sentence
// or for 300 ms of quiet, and speak a half-typed sentence at every pause.

// Terminal punctuation (with closing quotes or brackets), then white space: the writer moved on.
const finished = /[.!?…。！？][\p{Pe}\p{Pf}"']*\s+$/u;

// Where the complete sentences of `text` end (a UTF-16 index; 0 when there are none).
export function completeEnd(text, language) {
  if (typeof Intl.Segmenter === 'function') {
    let end = 0;
    let seg;
    try {
      seg = new Intl.Segmenter(language || undefined, { granularity: 'sentence' });
    } catch {
      seg = new Intl.Segmenter(undefined, { granularity: 'sentence' });
    }
    for (const s of seg.segment(text)) {
      const last = s.index + s.segment.length === text.length;
      if (!last || finished.test(s.segment) || /\n\s*$/.test(s.segment)) {
        end = s.index + s.segment.length;
      }
    }
    return end;
  }
  // Without Intl.Segmenter: up to the last terminal punctuation followed by white space.
  const re = /[.!?…。！？][\p{Pe}\p{Pf}"']*\s+|\n/gu;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + m[0].length;
  return end;
}

// Follows a text box: feed() returns the new complete sentences to speak, if any.
export class LiveFeed {
  constructor() { this.reset(''); }

  // Starts from `text` as already handled (what is there when Live mode is switched on is
  // not spoken).
  reset(text) { this.sent = text; }

  feed(text, language) {
    // An edit before what was sent: resume from the start of the sentence it touched, so a
    // corrected sentence is spoken again once complete.
    if (!text.startsWith(this.sent)) {
      let common = 0;
      while (common < text.length && common < this.sent.length &&
             text[common] === this.sent[common]) common++;
      this.sent = text.slice(0, Math.min(common, completeEnd(text.slice(0, common), language)));
    }
    const end = completeEnd(text, language);
    if (end <= this.sent.length) return '';
    const chunk = text.slice(this.sent.length, end);
    this.sent = text.slice(0, end);
    return chunk.trim() ? chunk : '';
  }

  // The rest of the text, complete or not (Speak while in Live mode).
  rest(text, language) {
    const chunk = this.feed(text, language) + text.slice(this.sent.length);
    this.sent = text;
    return chunk.trim() ? chunk : '';
  }
}
