// Live mode's sentence finder (web/live.js) in Node, which has the same Intl.Segmenter
// (ICU) as Chromium: which typed text is complete enough to speak.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveFeed, completeEnd } from '../../web/live.js';

test('a sentence is complete once followed by white space or by another sentence', () => {
  assert.equal(completeEnd('Hello there', 'en'), 0);
  assert.equal(completeEnd('Hello there.', 'en'), 0);  // "." may still become "..." or ".5"
  assert.equal(completeEnd('Hello there. ', 'en'), 13);
  assert.equal(completeEnd('Hello there. How', 'en'), 13);
  assert.equal(completeEnd('Is it? "Yes!" he said', 'en'), 14);
  assert.equal(completeEnd('A line without a stop\n', 'en'), 22);
  assert.equal(completeEnd('Ça va ? Oui. ', 'fr'), 13);
});

test('the feed hands out each complete sentence once, and the rest on demand', () => {
  const f = new LiveFeed();
  f.reset('Already here. ');
  let text = 'Already here. ';
  const said = [];
  for (const c of 'One two. Three four! Five') {
    text += c;
    const chunk = f.feed(text, 'en');
    if (chunk) said.push(chunk);
  }
  assert.deepEqual(said, ['One two. ', 'Three four! ']);
  assert.equal(f.rest(text, 'en'), 'Five');
  assert.equal(f.rest(text, 'en'), '');
});

test('an edit to a spoken sentence speaks that sentence again once complete', () => {
  const f = new LiveFeed();
  assert.equal(f.feed('First one. Secnd one. ', 'en'), 'First one. Secnd one. ');
  // The typo fixed: "Second one. " is spoken again, "First one. " is not.
  assert.equal(f.feed('First one. Second one. ', 'en'), 'Second one. ');
  // Deleting text ahead of what was sent speaks nothing.
  assert.equal(f.feed('First one. ', 'en'), '');
  assert.equal(f.feed('First one. Third. ', 'en'), 'Third. ');
});
