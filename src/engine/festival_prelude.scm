;; Lector's Scheme helpers for festival, evaluated once per festival worker right after
;; festival_initialize (festival_engine.cpp embeds this file at build time). Everything here is
;; fixed text: user input never reaches the Scheme reader.
;;
;; Festival voices set global variables and parameters, some when their file is loaded and the
;; rest each time they are selected, and none undoes everything the others set: after a Czech
;; voice, for example, the Hindi voice keeps Czech's intonation settings and every utterance
;; fails or crashes. So the first time a voice is selected it starts from festival's start-up
;; state (lector.pristine, and Param through lector.restore_params), and the state it leaves is
;; recorded (lector.states, lector.capture_params); every later selection restores that record
;; before running the voice's function again. select_voice then notes the voice's own speed and
;; hooks so that set_params can scale them for each request without drifting.
;;
;; lector.guarded_wave_synth wraps Wave_Synth to skip waveform generation for an utterance
;; without segments (text a voice cannot read, such as Latin script for the Indic voices, or a
;; lone "..."), on which UniSyn dereferences an empty F0 track and crashes the process; such an
;; utterance gets an empty wave so that after_synth_hooks still find one. The Italian voices
;; reload synthesis.scm, which redefines Wave_Synth, so select_voice wraps it again.
;;
;; The C++ side defines lector.speak, lector.deliver, lector.restore_params,
;; lector.capture_params, lector.empty_wave and lector.scale_f0 before this file runs.

;; The globals a voice may set and the next voice may not reset.
(set! lector.globals
      '(token.whitespace token.punctuation token.prepunctuation token.singlecharsymbols
        token.unknown_word_name token_to_words pos_lex_name pos_ngram_name pos_map
        pos_supported guess_pos phrase_cart_tree phr_break_params int_accent_cart_tree
        int_tone_cart_tree int_lr_params int_general_params int_simple_params
        duration_cart_tree duration_ph_info postlex_rules_hooks postlex_vowel_reduce_cart_tree
        after_analysis_hooks after_synth_hooks UniSyn_module_hooks diphone_module_hooks
        us_abs_offset us_rel_offset us_gain window_factor FP_duration FP_F0 energy_cart_tree
        energy_ph_info clunits_params hts_engine_params hts_feats_list))

(define (lector.capture)
  (mapcar (lambda (s) (list s (if (symbol-bound? s) (symbol-value s) 'lector.unbound)))
          lector.globals))

(define (lector.restore state)
  (mapcar (lambda (p)
            (if (not (eq? (cadr p) 'lector.unbound)) (set-symbol-value! (car p) (cadr p))))
          state))

(set! lector.pristine (lector.capture))
(set! lector.states nil)

(define (lector.guarded_wave_synth utt)
  (if (utt.relation.first utt 'Segment)
      (lector.wave_synth utt)
      (lector.empty_wave utt)))

(define (lector.guard_wave_synth)
  (if (not (eq? Wave_Synth lector.guarded_wave_synth))
      (begin
        (set! lector.wave_synth Wave_Synth)
        (set! Wave_Synth lector.guarded_wave_synth))))

(define (lector.select_voice name)
  (voice_reset)
  (let ((state (assoc name lector.states)))
    (lector.restore_params name)
    (lector.restore (if state (cadr state) lector.pristine))
    (voice.select name)
    (if (not state)
        (begin
          (set! lector.states (cons (list name (lector.capture)) lector.states))
          (lector.capture_params name))))
  (lector.guard_wave_synth)
  (set! lector.base_stretch (Parameter.get 'Duration_Stretch))
  (set! lector.base_hts (if (symbol-bound? 'hts_engine_params) hts_engine_params nil))
  (set! lector.base_aah
        (cond ((null after_analysis_hooks) nil)
              ((consp after_analysis_hooks) after_analysis_hooks)
              (t (list after_analysis_hooks)))))

;; Per request: speed as a duration stretch (diphone, cluster-unit) and an HTS rate, and the
;; pitch hook after the voice's own after_analysis_hooks.
(define (lector.set_params stretch rate)
  (Parameter.set 'Duration_Stretch
                 (* (if (number? lector.base_stretch) lector.base_stretch 1.0) stretch))
  (set! hts_engine_params (cons (list "-r" rate) lector.base_hts))
  (set! after_analysis_hooks (append lector.base_aah (list lector.scale_f0))))
