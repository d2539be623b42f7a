"""The three engines behind one server: every voice of espeak, flite and festival speaks through
/tts at its own sample rate; engines (and two festival workers) synthesize side by side; flite
and festival stream sentence by sentence; speed, pitch and volume reach each engine; voice ids
("engine:name") and the /voices filters select the right voices; and flite's speech is
intelligible to a speech recognizer.

One server with every engine (festival workers take 1-3 s and ~330 MiB each to start) serves
the whole file. Its cache is off, so every request is really synthesized.


Over ~450 lines on purpose: one class per engine concern; they share the engine fixtures."""

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest
import wave

from harness import ServerTestCase, median_f0, parse_wav, read_text, rms, samples, wait_for

ENGINES = ("espeak", "festival", "flite")

# The voices scripts/deps.sh installs: each must be listed by /api/voices (and so be covered by
# the every-voice loop below, which otherwise only sees what the server chose to list).
FLITE_VOICES = {"kal", "kal16", "awb", "rms", "slt"}
FESTIVAL_VOICES = {
    "kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts", "lp_diphone", "pc_diphone",
    "msu_ru_nsh_clunits", "suo_fi_lj_diphone", "hy_fi_mv_diphone", "czech_dita", "czech_krb",
    "czech_machac", "czech_ph", "hindi_NSK_diphone", "marathi_NSK_diphone",
    "telugu_NSK_diphone", "upc_ca_ona_hts",
}
CZECH_FESTIVAL_VOICES = ["czech_dita", "czech_krb", "czech_machac", "czech_ph"]

# A short sentence per language (primary subtag of the voice's first language).
SENTENCES = {
    "en": "The weather is nice today.",
    "de": "Das Wetter ist heute schön.",
    "fr": "Il fait beau aujourd'hui.",
    "es": "Hoy hace buen tiempo.",
    "it": "Buongiorno, come stai oggi?",
    "cs": "Dobrý den, jak se máte?",
    "fi": "Hyvää päivää, mitä kuuluu?",
    "ru": "Добрый день, как дела?",
    "hi": "नमस्ते, आप कैसे हैं?",
    "mr": "नमस्कार, तुम्ही कसे आहात?",
    "te": "నమస్కారం, మీరు ఎలా ఉన్నారు?",
    "ca": "Bon dia, com estàs avui?",
    # espeak reads digits in almost every language, but these have no number rules: espeak-ng's
    # own CLI gives 0.3 s of silence for "1 2 3 4 5." in them (measured), so they get words.
    "he": "שלום עולם.",
    "cv": "Салам, тус.",
    "nog": "Салам, дослар.",
    "tk": "Salam, dostlar.",
    "qya": "Elen síla lúmenn omentielvo.",
    "sjn": "Mae govannen, mellon.",
    "chr": "osiyo",
}
DIGITS = "1 2 3 4 5."

# Measured for every voice (8 requests at a time): 1.2-3.0 s and RMS 1,289 (flite kal16) to
# 8,813 (espeak mi); a voice that says nothing gives 0.3 s of silence (RMS 0).
MIN_SECONDS, MAX_SECONDS = 0.5, 15.0
MIN_RMS, MAX_RMS = 300, 16000

# One sentence with no comma (so --first-fragment-words does not cut it) under
# --max-segment-chars 300: a single segment, one worker, for ~15 s of audio (festival's HTS
# voice takes ~0.8 s of work for it).
ONE_SEGMENT = ("The old keeper wrote down the weather at dawn and at dusk and the names of the fishing "
               "boats that passed and the birds that struck the lantern glass during the autumn "
               "migration and her logbooks now fill a whole shelf in the village library.")

PARAM_TEXT = {
    "en": "The weather is nice today, and we will walk to the river after lunch.",
    "ru": "Добрый день, как дела? Сегодня хорошая погода.",
}
# Voices whose speed/pitch/volume are checked, with the parameters each engine voice ignores
# (measured through the server: duration ratio 1.00 at speed 2, or median F0 ratio 1.00 at
# pitch 1.5 and 0.7). festival's other HTS voice, upc_ca_ona_hts, ignores pitch too.
PARAM_VOICES = {
    "espeak:en-us": {},
    "flite:slt": {},
    "flite:kal16": {},
    "flite:rms": {"pitch": "flite's rms voice ignores pitch (F0 unchanged at pitch 1.5)"},
    "festival:kal_diphone": {},
    "festival:cmu_us_slt_arctic_hts": {"pitch": "festival's HTS voices ignore pitch (F0 unchanged)"},
    "festival:msu_ru_nsh_clunits": {
        "speed": "festival's msu_ru_nsh_clunits ignores speed (same duration at speed 2)",
        "pitch": "festival's msu_ru_nsh_clunits ignores pitch (F0 unchanged)"},
}
# Measured ratios against the defaults: speed 2 -> duration 0.49-0.51 (0.54-0.59 for the
# Czech and Finnish festival voices); volume 0.25 -> RMS 0.23-0.25; pitch 1.5 -> median F0
# 1.26 (espeak) and 1.44-1.55 (flite, festival); pitch and volume leave the duration within 1%.
FAST_MAX_RATIO, FAST_MIN_RATIO = 0.7, 0.3
QUIET_MAX_RATIO, QUIET_MIN_RATIO = 0.4, 0.1
HIGH_F0_MIN_RATIO = 1.15
SAME_LENGTH_TOLERANCE = 0.05

# Intelligibility: flite slt read back by pocketsphinx (Debian 12: 0.8, pocketsphinx_continuous;
# models from pocketsphinx-en-us). Measured WER for these four sentences (37 words): 0.08-0.10
# with slt ("jumps" heard as "jumped", "I" as "that", "bought" as "and"; slt's noise excitation
# varies from call to call), 0.03 with flite kal16, 0.08-0.14 with festival kal_diphone; 0.11
# for the fox sentence alone; the same audio played backwards: 0.95-1.02. espeak's formant voice is not
# checked: pocketsphinx gets 81% of its words wrong, from espeak-ng's own CLI just as from the
# server.
ASR_TEXT = ("The quick brown fox jumps over the lazy dog. I would like a cup of coffee please. "
            "We went to the market and bought some bread and milk. "
            "Please call the doctor at nine o'clock tomorrow morning.")
MAX_WER = 0.35
MIN_WER_BACKWARDS = 0.7
PS_MODEL = "/usr/share/pocketsphinx/model/en-us"


def pocketsphinx_command():
    """The argv prefix that transcribes a 16 kHz mono WAV file given as the last argument."""
    if not os.path.isdir(PS_MODEL):
        return None
    if shutil.which("pocketsphinx_continuous"):  # 0.8 (Debian 12)
        return ["pocketsphinx_continuous", "-logfn", "/dev/null", "-infile"]
    if shutil.which("pocketsphinx"):  # 5.x: prints JSON lines with "t"
        return ["pocketsphinx", "single"]
    return None


def transcribe(rate, pcm):
    cmd = pocketsphinx_command()
    if rate != 16000:
        raise AssertionError(f"pocketsphinx's en-us model wants 16 kHz, got {rate} Hz")
    with tempfile.TemporaryDirectory(prefix="lector-asr-") as d:
        path = os.path.join(d, "speech.wav")
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm)
        out = subprocess.run(cmd + [path], capture_output=True, text=True, timeout=120, check=True).stdout
    if cmd[0] == "pocketsphinx":
        return " ".join(json.loads(line).get("t", "") for line in out.splitlines() if line.strip())
    return out


def words(text):
    return re.findall(r"[a-z']+", text.lower())


def word_error_rate(reference, hypothesis):
    """(substitutions + deletions + insertions) / reference words, by edit distance."""
    ref, hyp = words(reference), words(hypothesis)
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
    return d[len(hyp)] / len(ref)


def language_of(voice):
    return voice["languages"][0].split("-")[0].lower()


def sentence_for(voice):
    lang = language_of(voice)
    if lang in SENTENCES:
        return SENTENCES[lang]
    if voice["engine"] == "espeak":
        return DIGITS
    raise AssertionError(f"no test sentence for {voice['id']} ({voice['languages']})")


class EnginesTest(ServerTestCase):
    engines = None  # every engine the binary has
    workers = 2
    extra_args = ("--pool", "festival=2", "--cache-bytes", "0")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # /health answers once the default engine (espeak) is up; festival takes longer.
        def all_idle():
            st = cls.server.status()
            return st if st["workers"] and all(w["state"] == "idle" for w in st["workers"]) else None
        st = wait_for(all_idle, 60, what="every worker of every engine idle")
        cls.pool = {e: sum(1 for w in st["workers"] if w["engine"] == e) for e in ENGINES}
        _, _, cls.voices = cls.server.get_json("/api/voices")

    def settled(self):
        """/status once no request is in flight and every worker is idle."""
        def check():
            st = self.server.status()
            ok = st["requests_active"] == 0 and all(w["state"] == "idle" for w in st["workers"])
            return st if ok else None
        return wait_for(check, 30, what="no request in flight and every worker idle")

    def voice(self, voice_id):
        return next(v for v in self.voices if v["id"] == voice_id)

    # -- 1. every voice --------------------------------------------------------------------------

    def test_every_voice_speaks_at_its_native_rate(self):
        by_engine = {e: {v["name"] for v in self.voices if v["engine"] == e} for e in ENGINES}
        self.assertGreaterEqual(len(by_engine["espeak"]), 100, "espeak-ng-data installs 131 voices")
        self.assertLessEqual(FLITE_VOICES, by_engine["flite"])
        self.assertLessEqual(FESTIVAL_VOICES, by_engine["festival"])
        for v in self.voices:
            self.assertEqual(v["id"], f"{v['engine']}:{v['name']}")

        def synthesize(voice):
            return self.server.tts({"text": sentence_for(voice), "voice": voice["id"]})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(synthesize, self.voices))

        digests = {}
        for voice, (status, headers, body) in zip(self.voices, results):
            with self.subTest(voice=voice["id"], text=sentence_for(voice)):
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(headers.get("content-type"), "audio/wav")
                rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=True)
                self.assertEqual((rate, channels, bits), (voice["sample_rate"], 1, 16),
                                 "format differs from the voice's sample_rate in /api/voices")
                seconds = len(pcm) / 2 / rate
                self.assertGreaterEqual(seconds, MIN_SECONDS)
                self.assertLessEqual(seconds, MAX_SECONDS)
                level = rms(pcm)
                self.assertGreater(level, MIN_RMS, "silent")
                self.assertLess(level, MAX_RMS, "noise at full scale")
                digests.setdefault(hashlib.sha1(pcm).hexdigest(), []).append(voice["id"])
        # Each voice really is a different voice: a server that fell back to a default voice
        # (or an engine's first voice) would give identical audio for many of them.
        same = [ids for ids in digests.values() if len(ids) > 1]
        self.assertEqual(same, [], "voices that gave byte-identical audio for the same text")

    def test_festival_voices_read_their_languages_quotation_marks_and_dashes(self):
        """Ordinary Russian and Italian typography is spoken by festival voices.

        Regression: festival's Russian voice (msu_ru_nsh_clunits) used to answer 500
        "segment 0 failed: festival failed on this text" for « », „ ", an em dash and the
        ellipsis character, and the Italian voices (lp_diphone, pc_diphone) for « »: their
        letter-to-sound rules have no rule for these characters, which festival's tokenizer
        leaves inside the word, and festival's own text2wave fails on the same text. The
        festival engine now maps them to the ASCII punctuation festival knows
        (src/engine/festival_text.cpp, plain_punctuation)."""
        cases = [
            ("festival:msu_ru_nsh_clunits", "«Привет», сказал он."),
            ("festival:msu_ru_nsh_clunits", "„Привет“, сказал он."),
            ("festival:msu_ru_nsh_clunits", "Привет — сказал он."),
            ("festival:msu_ru_nsh_clunits", "Привет… Как дела?"),
            ("festival:lp_diphone", "«Ciao», disse."),
            ("festival:pc_diphone", "«Ciao», disse."),
            # The same with ASCII punctuation: spoken today.
            ("festival:msu_ru_nsh_clunits", "\"Привет\", сказал он."),
            ("festival:lp_diphone", "\"Ciao\", disse."),
        ]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda c: self.server.tts({"text": c[1], "voice": c[0]}), cases))
        for (voice, text), (status, _, body) in zip(cases, results):
            with self.subTest(voice=voice, text=text):
                self.assertEqual(status, 200, body[:300])
                rate, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
                self.assertGreaterEqual(len(pcm) / 2 / rate, MIN_SECONDS)
                self.assertGreater(rms(pcm), MIN_RMS)

    # -- 2. parallel engines -------------------------------------------------------------------

    def _read_in_thread(self, params, results, key):
        def run():
            try:
                results[key] = self.server.tts_pcm(params)
            except Exception as e:  # reported by the test, not lost in the thread
                results[key] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def test_different_engines_synthesize_at_the_same_time(self):
        self.settled()
        text = read_text("long")
        results = {}
        # flite slt and festival kal_diphone take seconds for the long text on two workers
        # (measured: 3.3 s and 1.7 s); espeak takes a fraction of a second (0.15 s), so it is
        # sent (again, if need be) once the other two are busy.
        slow = [self._read_in_thread({"text": text, "voice": v}, results, v)
                for v in ("flite:slt", "festival:kal_diphone")]

        def busy_engines(st):
            return {w["engine"] for w in st["workers"] if w["state"] == "busy"}

        wait_for(lambda: {"flite", "festival"} <= busy_engines(self.server.status()), 30,
                 interval=0.01, what="flite and festival workers busy")
        seen = None
        for attempt in range(5):
            if not all(t.is_alive() for t in slow):
                break
            fast = self._read_in_thread({"text": text, "voice": "espeak:en-us"}, results, f"espeak{attempt}")
            while fast.is_alive() and seen is None:
                st = self.server.status()
                if busy_engines(st) == set(ENGINES):
                    seen = st
            fast.join(60)
            if seen:
                break
        for t in slow:
            t.join(120)
        for key, result in results.items():
            self.assertNotIsInstance(result, Exception, f"{key}: {result}")
            rate, pcm = result
            self.assertGreater(len(pcm) / 2 / rate, 120, f"{key}: the long text is ~3 minutes of speech")
        self.assertIsNotNone(seen, "never saw workers of espeak, flite and festival busy at once")

    def test_two_festival_requests_run_on_two_workers_at_once(self):
        self.assertEqual(self.pool["festival"], 2, "--pool festival=2 should start two festival workers")
        before = self.settled()
        results = {}
        # Each request is one segment, so each can occupy one worker only: two busy festival
        # workers means both requests are being synthesized at the same time.
        threads = [self._read_in_thread({"text": ONE_SEGMENT, "voice": v}, results, v)
                   for v in ("festival:cmu_us_slt_arctic_hts", "festival:kal_diphone")]

        def both_busy():
            st = self.server.status()
            busy = [w for w in st["workers"] if w["engine"] == "festival" and w["state"] == "busy"]
            return st if len(busy) == 2 and st["requests_active"] == 2 else None

        try:
            seen = wait_for(both_busy, 30, interval=0.01, what="both festival workers busy with the two requests")
        finally:
            for t in threads:
                t.join(120)
        after = self.settled()
        for key, result in results.items():
            self.assertNotIsInstance(result, Exception, f"{key}: {result}")
        self.assertEqual(after["segments_done"] - before["segments_done"], 2, "each request is one segment")
        done = {w["pid"]: w["segments_done"] for w in before["workers"] if w["engine"] == "festival"}
        for w in after["workers"]:
            if w["engine"] == "festival":
                self.assertEqual(w["segments_done"] - done[w["pid"]], 1,
                                 f"festival worker {w['pid']} did not do exactly one of the two")
        self.assertEqual(len({w["pid"] for w in seen["workers"] if w["engine"] == "festival"}), 2)

    # -- 3. streaming ----------------------------------------------------------------------------

    def test_first_audio_arrives_before_the_text_is_synthesized(self):
        # The long text is 28 sentences (29 segments). Measured: when the first PCM bytes
        # arrive, 0-2 segments are done; a client that stops reading there holds the server
        # at 13 (festival) to 16 (flite) segments done, so the check below does not depend on
        # how quickly /status is asked.
        text = read_text("long")
        sentences = len(re.findall(r"[.!?](\s|$)", text))
        for voice in ("flite:slt", "festival:kal_diphone"):
            with self.subTest(voice=voice):
                before = self.settled()
                with self.server.stream({"text": text, "voice": voice}, rcvbuf=65536) as s:
                    status, _ = s.read_head()
                    self.assertEqual(status, 200)
                    first = s.read_at_least(45)  # the header and the first PCM bytes
                    during = self.server.status()
                    rest = s.read_all()
                after = self.settled()
                rate, _, _, pcm = parse_wav(first + rest, expect_unknown_sizes=True)
                self.assertEqual(rate, self.voice(voice)["sample_rate"])
                total = after["segments_done"] - before["segments_done"]
                done_at_first_audio = during["segments_done"] - before["segments_done"]
                self.assertGreaterEqual(total, sentences)
                self.assertEqual(during["requests_active"], 1, "request not in flight at its first audio")
                self.assertEqual(during["requests_completed"], before["requests_completed"])
                self.assertLess(done_at_first_audio, sentences,
                                f"{done_at_first_audio} of {total} segments were synthesized before the "
                                f"first audio arrived")
                self.assertEqual(after["requests_completed"], before["requests_completed"] + 1)
                self.assertGreater(len(pcm) / 2 / rate, 120, "the whole long text (~3 minutes) arrived")

    # -- 4. speed, pitch, volume -----------------------------------------------------------------

    def test_speed_pitch_and_volume_reach_every_engine(self):
        variants = {"base": {}, "fast": {"speed": "2"}, "quiet": {"volume": "0.25"}, "high": {"pitch": "1.5"}}
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for voice_id in PARAM_VOICES:
                text = PARAM_TEXT[language_of(self.voice(voice_id))]
                for name, extra in variants.items():
                    jobs[voice_id, name] = pool.submit(self.server.tts_pcm, {"text": text, "voice": voice_id, **extra})
            got = {key: job.result() for key, job in jobs.items()}
        for voice_id, ignored in PARAM_VOICES.items():
            rate, base = got[voice_id, "base"]
            _, fast = got[voice_id, "fast"]
            _, quiet = got[voice_id, "quiet"]
            _, high = got[voice_id, "high"]
            with self.subTest(voice=voice_id, parameter="speed=2"):
                if "speed" in ignored:
                    self.skipTest(ignored["speed"])
                ratio = len(fast) / len(base)
                self.assertLess(ratio, FAST_MAX_RATIO, "duration at speed 2 / speed 1")
                self.assertGreater(ratio, FAST_MIN_RATIO, "duration at speed 2 / speed 1")
            with self.subTest(voice=voice_id, parameter="volume=0.25"):
                ratio = rms(quiet) / rms(base)
                self.assertLess(ratio, QUIET_MAX_RATIO, "RMS at volume 0.25 / volume 1")
                self.assertGreater(ratio, QUIET_MIN_RATIO, "RMS at volume 0.25 / volume 1")
                self.assert_close(len(quiet), len(base), rel=SAME_LENGTH_TOLERANCE, msg="length at volume 0.25")
            with self.subTest(voice=voice_id, parameter="pitch=1.5"):
                if "pitch" in ignored:
                    self.skipTest(ignored["pitch"])
                f_base, f_high = median_f0(base, rate), median_f0(high, rate)
                self.assertGreater(f_high, HIGH_F0_MIN_RATIO * f_base,
                                   f"median F0 {f_high:.0f} Hz at pitch 1.5 vs {f_base:.0f} Hz")
                self.assert_close(len(high), len(base), rel=SAME_LENGTH_TOLERANCE, msg="length at pitch 1.5")

    # -- 5. voice ids and filters ----------------------------------------------------------------

    def test_voice_id_selects_engine_and_voice(self):
        text = "Hello there, this is a voice id."
        rate, by_id = self.server.tts_pcm({"text": text, "voice": "flite:slt"})  # default engine: espeak
        self.assertEqual(rate, 16000)
        _, by_name = self.server.tts_pcm({"text": text, "engine": "flite", "voice": "slt"})
        # slt's noise excitation differs from call to call in the last bits, but its length is
        # exact; every other flite voice gives another length for this text.
        self.assertEqual(len(by_id), len(by_name), "voice=flite:slt is not engine=flite&voice=slt")
        for other in ("kal16", "awb", "rms"):
            _, pcm = self.server.tts_pcm({"text": text, "engine": "flite", "voice": other})
            self.assertNotEqual(len(pcm), len(by_id), f"flite {other} as long as slt: the test cannot tell")
        _, festival = self.server.tts_pcm({"text": text, "voice": "festival:kal_diphone"})
        _, festival_by_name = self.server.tts_pcm({"text": text, "engine": "festival", "voice": "kal_diphone"})
        self.assertEqual(festival, festival_by_name)

    def test_voice_id_of_another_engine_than_engine_parameter_is_rejected(self):
        error = self.assert_error(self.server.tts({"text": "Hello.", "voice": "flite:slt", "engine": "espeak"}), 400)
        self.assertIn("parameter 'voice'", error)
        error = self.assert_error(self.server.tts({"text": "Hello.", "voice": "flite:nosuch"}), 400)
        self.assertIn("parameter 'voice'", error)

    def test_voices_filtered_by_engine_language_and_gender(self):
        status, _, czech = self.server.get_json("/voices?engine=festival&language=cs")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(czech), CZECH_FESTIVAL_VOICES)
        self.assertEqual(sorted(czech), sorted(v["name"] for v in self.voices
                                               if v["engine"] == "festival" and language_of(v) == "cs"))
        status, _, female = self.server.get_json("/voices?engine=flite&gender=female")
        self.assertEqual((status, female), (200, ["slt"]))
        status, _, english = self.server.get_json("/voices?engine=festival&language=en")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(english), ["cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone"])
        for engine in ENGINES:
            with self.subTest(engine=engine):
                status, _, names = self.server.get_json(f"/voices?engine={engine}")
                self.assertEqual(status, 200)
                self.assertEqual(sorted(names), sorted(v["name"] for v in self.voices if v["engine"] == engine))

    def test_unknown_gender_is_rejected(self):
        status, headers, body = self.server.request("GET", "/voices?gender=robot")
        error = self.assert_error((status, headers, body), 400)
        self.assertIn("parameter 'gender'", error)

    def test_api_engines_lists_all_three_available(self):
        status, _, engines = self.server.get_json("/api/engines")
        self.assertEqual(status, 200)
        by_name = {e["name"]: e for e in engines}
        self.assertEqual(sorted(by_name), sorted(ENGINES))
        for name in ENGINES:
            with self.subTest(engine=name):
                self.assertIs(by_name[name]["available"], True)
                self.assertEqual(by_name[name]["voices"],
                                 sum(1 for v in self.voices if v["engine"] == name))
        status, _, names = self.server.get_json("/engines")
        self.assertEqual((status, sorted(names)), (200, sorted(ENGINES)))

    # -- 6. intelligibility ----------------------------------------------------------------------

    @unittest.skipUnless(pocketsphinx_command(), "pocketsphinx and pocketsphinx-en-us are not installed")
    def test_flite_speech_is_recognized_by_pocketsphinx(self):
        rate, pcm = self.server.tts_pcm({"text": ASR_TEXT, "voice": "flite:slt"})
        backwards = samples(pcm)
        backwards.reverse()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            heard_job = pool.submit(transcribe, rate, pcm)
            backwards_job = pool.submit(transcribe, rate, backwards.tobytes())
            heard, heard_backwards = heard_job.result(), backwards_job.result()
        wer = word_error_rate(ASR_TEXT, heard)
        # The recognizer is a real judge: the same sounds in the wrong order are not heard as
        # the text.
        self.assertGreater(word_error_rate(ASR_TEXT, heard_backwards), MIN_WER_BACKWARDS,
                           f"audio played backwards heard as {heard_backwards!r}")
        self.assertLessEqual(wer, MAX_WER, f"WER {wer:.2f}: heard {heard!r}")


if __name__ == "__main__":
    unittest.main()
