// Parsed and planned queries by text: dashboards and explorers send the same few texts again and again, and a
// short indexed query spends a good share of its time in the lexer, the parser and the planner. Parsing and
// planning are pure functions of the text (the read seq, the source's indexes and its rows are decided when the
// plan runs), so one result can serve every caller. It is frozen before it is shared: execution reads a plan
// and never changes it, and freezing turns a future change into a TypeError rather than a wrong answer for
// the next caller.
import type { QueryNode } from './ast.js';
import type { Diagnostic } from './errors.js';
import { parse } from './parser.js';
import { planQuery, type Plan } from './plan.js';

/** The texts kept: far more than a dashboard's distinct queries, little memory (a plan is a few objects). */
export const preparedQueriesMax = 512;
/** Longer texts are parsed every time: rare, and they would make the bound on entries a poor bound on bytes. */
export const preparedTextMax = 4096;

export interface PreparedQuery {
  readonly ast: QueryNode | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** The plan of `ast`; undefined when there is a diagnostic. */
  readonly plan: Plan | undefined;
}

// Map order is recency: a hit moves its entry to the end, and the first entry is the one evicted.
const prepared = new Map<string, PreparedQuery>();

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) freezeDeep(item);
  }
  return value;
}

function prepareNow(text: string): PreparedQuery {
  const { ast, diagnostics } = parse(text);
  return { ast, diagnostics, plan: ast !== undefined && diagnostics.length === 0 ? planQuery(ast) : undefined };
}

/** parse + planQuery of `text`, from the cache when it was prepared recently. The result is frozen. */
export function prepareQuery(text: string): PreparedQuery {
  const found = prepared.get(text);
  if (found !== undefined) {
    prepared.delete(text);
    prepared.set(text, found);
    return found;
  }
  const made = freezeDeep(prepareNow(text));
  if (text.length > preparedTextMax) return made;
  prepared.set(text, made);
  if (prepared.size > preparedQueriesMax) prepared.delete(prepared.keys().next().value as string);
  return made;
}

/** How many texts are held (tests check the bound). */
export function preparedQueryCount(): number {
  return prepared.size;
}

export function clearPreparedQueries(): void {
  prepared.clear();
}
