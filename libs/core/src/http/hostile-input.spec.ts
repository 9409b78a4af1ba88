import { findInputFault, MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_JSON_KEYS, nestsDeeperThan } from './hostile-input';

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

describe(findInputFault.name, () => {
  const named = (value: unknown, root?: string) => {
    const fault = findInputFault(value, '', root);
    return fault && { code: fault.code, details: fault.details };
  };

  it('names the field of a NUL character, however deep', () => {
    expect(named({ items: [{ quantity: 1 }, { reason: 'a\u0000b' }] })).toEqual({
      code: 'VALIDATION.FAILED',
      details: [{ field: 'items.1.reason', errors: ['must not contain NUL characters'] }],
    });
  });

  it('refuses lone surrogates', () => {
    expect(named({ name: 'x\ud800' })).toMatchObject({ details: [{ field: 'name' }] });
    expect(named({ name: 'ok \ud83d\udca5' })).toBeUndefined();
  });

  it('checks keys as well as values, and an input that is a bare string', () => {
    expect(named({ ['bad\u0000key']: 1 })).toMatchObject({ details: [{ field: 'bad\u0000key' }] });
    expect(named('\u0000')).toMatchObject({ details: [{ field: 'body' }] });
  });

  it('refuses objects and lists larger than any request, naming where, before walking into them', () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_JSON_KEYS + 1 }, (_, i) => [`k${i}`, '\u0000']));
    expect(named({ a: { b: wide } })).toEqual({ code: 'REQUEST.TOO_COMPLEX', details: { field: 'a.b' } });
    expect(named(Array.from({ length: MAX_JSON_ITEMS + 1 }, () => 1))).toMatchObject({ details: { field: 'body' } });
    expect(named(wide, 'query')).toMatchObject({ details: { field: 'query' } });
    expect(named({ list: Array.from({ length: MAX_JSON_ITEMS }, () => ({ ok: 1 })) })).toBeUndefined();
  });

  it('accepts everything else', () => {
    expect(named({ a: [1, true, null, { b: 'ünïcødé ✓' }] })).toBeUndefined();
    expect(named(undefined)).toBeUndefined();
  });
});
