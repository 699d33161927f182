// The error registry (STYLE.md §5): every code has a kind and a message whose placeholders are filled from
// details, and every code is documented with its kind in docs/ERRORS.md (or at least named in docs/FORMAT.md).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, type ErrorKind, type ErrorSpec, NedbError, errorCodes, isNedbError } from '../../core/errors.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const errorsDoc = readFileSync(resolve(root, 'docs/ERRORS.md'), 'utf8');
const formatDoc = readFileSync(resolve(root, 'docs/FORMAT.md'), 'utf8');

/** Every kind, so that adding one to ErrorKind makes this file (and the protocol tables) say how to map it. */
const kinds = {
  invalid_input: true,
  unauthorized: true,
  not_found: true,
  conflict: true,
  too_large: true,
  not_implemented: true,
  not_ready: true,
  busy: true,
  read_only: true,
  failed: true,
  corrupt: true,
  internal: true,
} satisfies Record<ErrorKind, true>;

const entries = Object.entries(errorCodes) as [ErrorCode, ErrorSpec][];

function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}

describe('error registry', () => {
  it('has codes to check', () => {
    expect(entries.length).toBeGreaterThan(20);
  });

  it('gives every code a known kind and a non-empty message, and names codes in SCREAMING_SNAKE_CASE', () => {
    for (const [code, spec] of entries) {
      expect(Object.keys(kinds), code).toContain(spec.kind);
      expect(spec.message.trim().length, code).toBeGreaterThan(0);
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
    }
  });

  it('fills every placeholder from details, and leaves a missing one visible', () => {
    for (const [code, spec] of entries) {
      const names = placeholders(spec.message);
      const details = Object.fromEntries(names.map((name, i) => [name, `<${name}#${i}>`]));
      const error = new NedbError(code, details);
      expect(error.message, code).not.toMatch(/\{\w+\}/);
      for (const [name, value] of Object.entries(details)) expect(error.message, `${code} {${name}}`).toContain(value);
      expect(error.code).toBe(code);
      expect(error.kind).toBe(spec.kind);
      expect(error.details).toEqual(details);
      expect(isNedbError(error, code)).toBe(true);
      expect(error).toBeInstanceOf(Error);
      if (names.length > 0) expect(new NedbError(code).message, code).toContain(`{${names[0]}}`);
    }
  });

  it('fills a placeholder with values that are not strings', () => {
    const error = new NedbError('LOG_CORRUPT', { file: '/d/wal/p000-00000001.wal', offset: 52, reason: 'CRC-32C mismatch' });
    expect(error.message).toBe('log file /d/wal/p000-00000001.wal is damaged at byte 52: CRC-32C mismatch; run `nedb repair` to keep the intact prefix');
    expect(isNedbError(error, 'SNAPSHOT_CORRUPT')).toBe(false);
    expect(isNedbError(new Error('x'))).toBe(false);
  });

  it('documents every code in docs/ERRORS.md or docs/FORMAT.md', () => {
    const undocumented = entries
      .map(([code]) => code)
      .filter((code) => !new RegExp(`\\b${code}\\b`).test(errorsDoc) && !new RegExp(`\\b${code}\\b`).test(formatDoc));
    expect(undocumented).toEqual([]);
  });

  it('lists each code in docs/ERRORS.md with the kind the registry gives it', () => {
    const wrong: string[] = [];
    for (const [code, spec] of entries) {
      const row = errorsDoc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      if (row === undefined) wrong.push(`${code}: no table row`);
      else if (row.split('|')[2]?.trim() !== spec.kind) wrong.push(`${code}: listed as ${row.split('|')[2]?.trim()}, registry says ${spec.kind}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lists no code in docs/ERRORS.md that the registry lacks', () => {
    const listed = [...errorsDoc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]!);
    expect(listed.filter((code) => !Object.hasOwn(errorCodes, code))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });
});
