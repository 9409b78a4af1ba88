import { findInvalidText, MAX_JSON_DEPTH, nestsDeeperThan } from './hostile-input';

describe(nestsDeeperThan.name, () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('counts arrays and objects opened inside each other', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":{"c":[1]}}}', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":{"c":1}},"d":[{"e":2}]}', 3)).toBe(false);
  });

  it('passes over brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[[[', b: '{{{{' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: 'say \\"[[[["' }), 1)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\\\","b":[[[]]]}`, 3)).toBe(true);
  });

  it('reads unclosed text to its end without failing', () => {
    expect(nestsDeeperThan('['.repeat(100_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('"unterminated [[[[', 1)).toBe(false);
  });
});

describe(findInvalidText.name, () => {
  it('names the field of a NUL character, however deep', () => {
    expect(findInvalidText({ items: [{ quantity: 1 }, { reason: 'a\u0000b' }] })).toEqual({
      field: 'items.1.reason',
      error: 'must not contain NUL characters',
    });
  });

  it('refuses lone surrogates', () => {
    expect(findInvalidText({ name: 'x\ud800' })).toMatchObject({ field: 'name' });
    expect(findInvalidText({ name: 'ok \ud83d\udca5' })).toBeUndefined();
  });

  it('checks keys as well as values, and a body that is a bare string', () => {
    expect(findInvalidText({ ['bad\u0000key']: 1 })).toMatchObject({ field: 'bad\u0000key' });
    expect(findInvalidText('\u0000', '')).toMatchObject({ field: 'body' });
  });

  it('accepts everything else', () => {
    expect(findInvalidText({ a: [1, true, null, { b: 'ünïcødé ✓' }] })).toBeUndefined();
    expect(findInvalidText(undefined)).toBeUndefined();
  });
});
