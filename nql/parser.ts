// The NQL parser: recursive descent over v1's fixed clause order (UPSTREAM.md §4.2), one short method per
// production. It never throws on user text: it returns the tree or positioned diagnostics whose messages
// are v1's exact texts (values quoted with Python repr()). v1 stopped at the first error, and so do we:
// after one mistake the rest of a query has no reliable reading, so more messages would only mislead.

import { assertNever } from '../core/index.js';
import type {
  AggregateName, AggregateNode, CompareOp, ConditionNode, GroupByNode, IntegerNode, NameNode, OrderByNode,
  QueryNode, StringNode, TraceNode, ValueNode,
} from './ast.js';
import { diagnostic, type Diagnostic, type NqlErrorCode, type TextSpan } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { pyFloatRepr, pyStringRepr } from './python.js';

export interface ParseResult {
  /** The tree, or undefined when there is any diagnostic. */
  readonly ast: QueryNode | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses NQL text; the first diagnostic (if any) is the one v1 reported. */
export function parse(text: string): ParseResult {
  const lexed = tokenize(text);
  // v1 tokenized the whole text before parsing, so a bad character anywhere wins over grammar errors.
  if (lexed.diagnostics.length > 0) return { ast: undefined, diagnostics: lexed.diagnostics };
  const parser = new Parser(lexed.tokens, lexed.endSpan);
  const ast = parser.parseQuery();
  return { ast: parser.diagnostics.length > 0 ? undefined : ast, diagnostics: parser.diagnostics };
}

/** Python repr() of a token's value as v1 held it: `'asc'`, `5`, `2.5`, or `None` at the end. */
export function tokenValueRepr(token: Token | undefined): string {
  if (token === undefined) return 'None';
  if (token.kind !== 'num') return pyStringRepr(token.value);
  return token.float ? pyFloatRepr(Number(token.text)) : BigInt(token.text).toString();
}

/** Python repr() of v1's leftover token list: `[('kw', 'asc'), ('num', 5)]`. */
export function trailingTokensRepr(tokens: readonly Token[]): string {
  return `[${tokens.map((token) => `(${pyStringRepr(token.kind)}, ${tokenValueRepr(token)})`).join(', ')}]`;
}

const compareOps: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const fieldAggregates: ReadonlySet<string> = new Set(['sum', 'avg', 'min', 'max']);

type Draft = { -readonly [K in keyof QueryNode]: QueryNode[K] };

class Parser {
  readonly diagnostics: Diagnostic[] = [];
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly endSpan: TextSpan,
  ) {}

  parseQuery(): QueryNode | undefined {
    if (!this.expectKeyword('from')) return undefined;
    const collection = this.parseName('NQL_EXPECTED_COLLECTION');
    if (collection === undefined) return undefined;
    const draft: Draft = {
      kind: 'Query', collection, asOf: undefined, validAsOf: undefined, where: [], search: undefined,
      orderBy: undefined, traverse: undefined, trace: undefined, limit: undefined, groupBy: undefined,
      span: this.endSpan,
    };
    const clauses: ReadonlyArray<(query: Draft) => void> = [
      (query) => (query.asOf = this.parseAsOf()),
      (query) => (query.validAsOf = this.parseValid()),
      (query) => (query.where = this.parseWhere()),
      // A VALID clause may follow WHERE only when none came before it (v1).
      (query) => (query.validAsOf = query.validAsOf ?? this.parseValid()),
      (query) => (query.search = this.parseSearch()),
      (query) => (query.orderBy = this.parseOrderBy()),
      (query) => (query.traverse = this.parseTraverse()),
      (query) => (query.trace = this.parseTrace()),
      (query) => (query.limit = this.parseLimit()),
      (query) => (query.groupBy = this.parseGroupBy()),
    ];
    for (const clause of clauses) {
      clause(draft);
      if (this.failed) return undefined;
    }
    this.expectEnd();
    draft.span = this.spanBetween(0, this.tokens.length - 1);
    return draft;
  }

  private get failed(): boolean {
    return this.diagnostics.length > 0;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private advance(): Token | undefined {
    const token = this.tokens[this.index];
    if (token !== undefined) this.index += 1;
    return token;
  }

  private isKeyword(value: string): boolean {
    const token = this.peek();
    return token !== undefined && token.kind === 'kw' && token.value === value;
  }

  private acceptKeyword(value: string): Token | undefined {
    return this.isKeyword(value) ? this.advance() : undefined;
  }

  /** v1: `expected 'FROM', got <repr>`; the keyword is named in upper case. */
  private expectKeyword(value: string): boolean {
    if (this.acceptKeyword(value) !== undefined) return true;
    const got = this.peek();
    this.report('NQL_EXPECTED_TOKEN', got, { expected: pyStringRepr(value.toUpperCase()), got: tokenValueRepr(got) });
    return false;
  }

  private report(code: NqlErrorCode, at: Token | undefined, details?: Readonly<Record<string, string>>): undefined {
    if (!this.failed) this.diagnostics.push(diagnostic(code, at === undefined ? this.endSpan : spanOf(at), details));
    return undefined;
  }

  private spanBetween(first: number, last: number): TextSpan {
    const start = this.tokens[first];
    const stop = this.tokens[last];
    if (start === undefined || stop === undefined) return this.endSpan;
    return { offset: start.offset, end: stop.end, line: start.line, col: start.col };
  }

  private spanFrom(first: number): TextSpan {
    return this.spanBetween(first, this.index - 1);
  }

  /** name = word | keyword (keywords arrive lowercased, as in v1). */
  private parseName(code: NqlErrorCode, details?: Readonly<Record<string, string>>): NameNode | undefined {
    const token = this.peek();
    if (token === undefined || (token.kind !== 'word' && token.kind !== 'kw')) return this.report(code, token, details);
    this.advance();
    return { kind: 'Name', name: token.value, span: spanOf(token) };
  }

  /** A number argument; v1 applied Python int(), which truncates toward zero. */
  private parseInteger(code: NqlErrorCode): IntegerNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'num') return this.report(code, token);
    this.advance();
    return { kind: 'Integer', value: Math.trunc(token.value) + 0, span: spanOf(token) };
  }

  private parseString(code: NqlErrorCode): StringNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'str') return this.report(code, token);
    this.advance();
    return { kind: 'String', value: token.value, span: spanOf(token) };
  }

  private parseAsOf(): IntegerNode | undefined {
    if (this.acceptKeyword('as') === undefined) return undefined;
    if (!this.expectKeyword('of')) return undefined;
    return this.parseInteger('NQL_AS_OF_SEQ');
  }

  /** valid = "VALID" [ "AS" ] [ "OF" ] string */
  private parseValid(): StringNode | undefined {
    if (this.acceptKeyword('valid') === undefined) return undefined;
    this.acceptKeyword('as');
    this.acceptKeyword('of');
    return this.parseString('NQL_VALID_DATE');
  }

  private parseWhere(): ConditionNode[] {
    const conditions: ConditionNode[] = [];
    if (this.acceptKeyword('where') === undefined) return conditions;
    do {
      const condition = this.parseCondition();
      if (condition === undefined) return conditions;
      conditions.push(condition);
    } while (this.acceptKeyword('and') !== undefined);
    return conditions;
  }

  /** cond = name op value */
  private parseCondition(): ConditionNode | undefined {
    const first = this.index;
    const field = this.parseName('NQL_WHERE_FIELD');
    if (field === undefined) return undefined;
    const opToken = this.peek();
    if (opToken === undefined || opToken.kind !== 'op' || !compareOps.has(opToken.value)) {
      return this.report('NQL_WHERE_OPERATOR', opToken);
    }
    this.advance();
    const value = this.parseValue();
    if (value === undefined) return undefined;
    return { kind: 'Condition', field, op: opToken.value as CompareOp, value, span: this.spanFrom(first) };
  }

  /** value = number | string | TRUE | FALSE | NULL | word (a bare word is that string) */
  private parseValue(): ValueNode | undefined {
    const token = this.peek();
    const value = literalOf(token);
    if (token === undefined || value === undefined) {
      return this.report('NQL_EXPECTED_VALUE', token, { got: tokenValueRepr(token) });
    }
    this.advance();
    return { kind: 'Value', value, span: spanOf(token) };
  }

  private parseSearch(): StringNode | undefined {
    if (this.acceptKeyword('search') === undefined) return undefined;
    return this.parseString('NQL_SEARCH_STRING');
  }

  private parseOrderBy(): OrderByNode | undefined {
    const first = this.index;
    if (this.acceptKeyword('order') === undefined) return undefined;
    if (!this.expectKeyword('by')) return undefined;
    const field = this.parseName('NQL_ORDER_FIELD');
    if (field === undefined) return undefined;
    let descending = false;
    if (this.acceptKeyword('desc') !== undefined) descending = true;
    else this.acceptKeyword('asc');
    return { kind: 'OrderBy', field, descending, span: this.spanFrom(first) };
  }

  private parseTraverse(): NameNode | undefined {
    if (this.acceptKeyword('traverse') === undefined) return undefined;
    return this.parseName('NQL_TRAVERSE_RELATION');
  }

  private parseTrace(): TraceNode | undefined {
    const first = this.index;
    if (this.acceptKeyword('trace') === undefined) return undefined;
    const field = this.parseName('NQL_TRACE_FIELD');
    if (field === undefined) return undefined;
    const reverse = this.acceptKeyword('reverse') !== undefined;
    return { kind: 'Trace', field, reverse, span: this.spanFrom(first) };
  }

  private parseLimit(): IntegerNode | undefined {
    if (this.acceptKeyword('limit') === undefined) return undefined;
    return this.parseInteger('NQL_LIMIT_INTEGER');
  }

  private parseGroupBy(): GroupByNode | undefined {
    const first = this.index;
    if (this.acceptKeyword('group') === undefined) return undefined;
    if (!this.expectKeyword('by')) return undefined;
    const field = this.parseName('NQL_GROUP_FIELD');
    if (field === undefined) return undefined;
    const aggregate = this.parseAggregate();
    if (this.failed) return undefined;
    return { kind: 'GroupBy', field, aggregate, span: this.spanFrom(first) };
  }

  /** agg = COUNT | (SUM | AVG | MIN | MAX) name */
  private parseAggregate(): AggregateNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'kw') return undefined;
    if (token.value === 'count') {
      this.advance();
      return { kind: 'Aggregate', name: 'count', field: undefined, span: spanOf(token) };
    }
    if (!fieldAggregates.has(token.value)) return undefined;
    this.advance();
    const field = this.parseName('NQL_AGGREGATE_FIELD', { aggregate: token.value.toUpperCase() });
    if (field === undefined) return undefined;
    return { kind: 'Aggregate', name: token.value as AggregateName, field, span: this.spanFrom(this.index - 2) };
  }

  private expectEnd(): void {
    const rest = this.tokens.slice(this.index);
    if (rest.length > 0) this.report('NQL_TRAILING_TOKENS', rest[0], { tokens: trailingTokensRepr(rest) });
  }
}

function spanOf(token: Token): TextSpan {
  return { offset: token.offset, end: token.end, line: token.line, col: token.col };
}

function literalOf(token: Token | undefined): string | number | boolean | null | undefined {
  if (token === undefined) return undefined;
  switch (token.kind) {
    case 'num':
    case 'str':
    case 'word':
      return token.value;
    case 'kw':
      if (token.value === 'true') return true;
      if (token.value === 'false') return false;
      return token.value === 'null' ? null : undefined;
    case 'op':
      return undefined;
    default:
      return assertNever(token);
  }
}
