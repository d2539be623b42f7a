// The voice picker: every voice of every engine (GET /api/voices), narrowed by language,
// gender and a search over names and languages, listed by engine.

const languageNames = typeof Intl.DisplayNames === 'function'
  ? new Intl.DisplayNames(['en'], { type: 'language' }) : null;

function languageName(code) {
  try {
    return (languageNames && languageNames.of(code)) || code;
  } catch {
    return code;  // a tag Intl does not know
  }
}

const primary = (tag) => tag.split('-')[0].toLowerCase();

export class VoicePicker {
  // els: {language, gender, search, voice, count} (select, select, input, select, element).
  constructor(els, onChange) {
    this.els = els;
    this.onChange = onChange;
    this.voices = [];
    for (const el of [els.language, els.gender]) el.addEventListener('change', () => this.render());
    els.search.addEventListener('input', () => this.render());
    els.voice.addEventListener('change', () => onChange(this.selected()));
  }

  async load(preferred) {
    const r = await fetch('/api/voices');
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
    this.voices = body;
    const languages = new Map();
    for (const v of body) {
      for (const tag of v.languages) languages.set(primary(tag), languageName(primary(tag)));
    }
    const sorted = [...languages].sort((a, b) => a[1].localeCompare(b[1]));
    this.els.language.replaceChildren(new Option('Any language', ''),
      ...sorted.map(([code, name]) => new Option(`${name} (${code})`, code)));
    this.render(preferred);
  }

  matches(v) {
    const lang = this.els.language.value;
    const gender = this.els.gender.value;
    const words = this.els.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (lang && !v.languages.some((t) => primary(t) === lang)) return false;
    if (gender && v.gender !== gender) return false;
    const hay = [v.id, v.display_name, v.gender, ...v.languages,
      ...v.languages.map((t) => languageName(t))].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  // Lists the voices that pass the filters, keeping the selection when it still passes.
  render(preferred) {
    const sel = this.els.voice;
    const before = preferred || sel.value;
    const shown = this.voices.filter((v) => this.matches(v));
    const groups = new Map();
    for (const v of shown) {
      if (!groups.has(v.engine)) groups.set(v.engine, []);
      groups.get(v.engine).push(v);
    }
    sel.replaceChildren(...[...groups].map(([engine, vs]) => {
      const g = document.createElement('optgroup');
      g.label = engine;
      g.append(...vs.map((v) => {
        const o = new Option(`${v.display_name} · ${v.name} · ${v.gender}`, v.id);
        o.title = `${v.id}, ${v.languages.join(', ')}, ${v.sample_rate} Hz` +
          (v.word_timings ? ', word timings' : '');
        return o;
      }));
      return g;
    }));
    if (shown.some((v) => v.id === before)) {
      sel.value = before;
    } else if (shown.length > 0) {
      sel.value = shown[0].id;
    }
    this.els.count.textContent = `${shown.length} of ${this.voices.length} voices`;
    if (sel.value !== this.current) this.onChange(this.selected());
  }

  // The chosen voice's record, or null when the filters leave none.
  selected() {
    const v = this.voices.find((x) => x.id === this.els.voice.value) || null;
    this.current = v ? v.id : '';
    return v;
  }
}
