// The NQL parser: recursive descent over the clause order of docs/NQL.md (v1's, UPSTREAM.md §4.2, plus the
// extensions), one short method per production and one precedence ladder (OR < AND < NOT) for WHERE. It
// never throws on user text: it returns the tree or positioned diagnostics whose messages are v1's exact
// texts (values quoted with Python repr()). v1 stopped at the first error, and so do we.
//
// Two modes share every method. v1 mode is exactly v1's grammar; extended mode adds the extensions, each
// guarded by `this.extended`. parse() tries v1 mode first, so a text v1 accepted always gets v1's reading
// and answer; only a text v1 rejected is read by the extended grammar. When that fails too, the reply is
// v1's own error (every v1 error text is kept), with the extended grammar's error beside it as a hint,
// unless the text is a well-formed extended query that breaks a limit or an extension rule
// (extensionErrorCodes): then that error is the clearer one and wins.

import { assertNever } from '../core/index.js';
import type {
  AggregateName, AggregateNode, CompareOp, ExprNode, FieldNode, GroupByNode, IntegerNode, NameNode, OrderByNode,
  QueryNode, SelectNode, StringNode, TraceNode, ValueNode,
} from './ast.js';
import { decodeCursor, queryFingerprint } from './cursor.js';
import { diagnostic, extensionErrorCodes, type Diagnostic, type NqlErrorCode, type TextSpan } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { inListValuesMax, listItemsMax, queryDepthMax } from './limits.js';
import { pyFloatRepr, pyStringRepr } from './python.js';

export interface ParseResult {
  /** The tree, or undefined when there is any diagnostic. */
  readonly ast: QueryNode | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** For a text both grammars reject: the extended grammar's error, for tools (diagnostics hold v1's). */
  readonly hint?: Diagnostic;
}

/** Parses NQL text; the first diagnostic (if any) is the one v1 reported, or an extension rule's. */
export function parse(text: string): ParseResult {
  const v1 = parseGrammar(text, false);
  if (v1.ast !== undefined) return v1;
  const extended = parseGrammar(text, true);
  if (extended.ast !== undefined) return extended;
  const first = extended.diagnostics[0];
  if (first === undefined) return v1;
  return extensionErrorCodes.has(first.code) ? extended : { ast: undefined, diagnostics: v1.diagnostics, hint: first };
}

/** One grammar alone: v1's (`extended` false) or docs/NQL.md's. parse() is what callers want. */
export function parseGrammar(text: string, extended: boolean): ParseResult {
  const lexed = tokenize(text, extended);
  // v1 tokenized the whole text before parsing, so a bad character anywhere wins over grammar errors.
  if (lexed.diagnostics.length > 0) return { ast: undefined, diagnostics: lexed.diagnostics };
  const parser = new Parser(lexed.tokens, lexed.endSpan, extended);
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
    private readonly extended: boolean,
  ) {}

  parseQuery(): QueryNode | undefined {
    if (!this.expectKeyword('from')) return undefined;
    const collection = this.parseName('NQL_EXPECTED_COLLECTION');
    if (collection === undefined) return undefined;
    const draft: Draft = {
      kind: 'Query', collection, asOf: undefined, validAsOf: undefined, where: undefined, search: undefined,
      orderBy: [], traverse: undefined, trace: undefined, limit: undefined, offset: undefined, after: undefined,
      groupBy: undefined, select: undefined, span: this.endSpan,
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
      (query) => (query.offset = this.parseOffset()),
      (query) => (query.after = this.parseAfter()),
      (query) => (query.groupBy = this.parseGroupBy()),
      (query) => (query.select = this.parseSelect()),
    ];
    for (const clause of clauses) {
      clause(draft);
      if (this.failed) return undefined;
    }
    this.expectEnd();
    draft.span = this.spanBetween(0, this.tokens.length - 1);
    if (!this.failed && draft.after !== undefined) this.checkAfter(draft, draft.after);
    return draft;
  }

  private get failed(): boolean {
    return this.diagnostics.length > 0;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
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

  /** A contextual word of the extensions (OR, NOT, IN, …): a plain word, any case. */
  private isWord(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && token.kind === 'word' && token.value.toLowerCase() === value;
  }

  /** Only in extended mode: in v1 mode these words are names or errors, as in v1. */
  private acceptWord(value: string): Token | undefined {
    return this.extended && this.isWord(value) ? this.advance() : undefined;
  }

  private isPunct(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && token.kind === 'punct' && token.value === value;
  }

  private acceptPunct(value: string): Token | undefined {
    return this.isPunct(value) ? this.advance() : undefined;
  }

  private expectPunct(value: string, after: string): boolean {
    if (this.acceptPunct(value) !== undefined) return true;
    const got = this.peek();
    this.syntax(got, `expected '${value}' ${after}, got ${tokenValueRepr(got)}`);
    return false;
  }

  /** v1: `expected 'FROM', got <repr>`; the keyword is named in upper case. */
  private expectKeyword(value: string): boolean {
    if (this.acceptKeyword(value) !== undefined) return true;
    const got = this.peek();
    this.report('NQL_EXPECTED_TOKEN', got, { expected: pyStringRepr(value.toUpperCase()), got: tokenValueRepr(got) });
    return false;
  }

  private report(code: NqlErrorCode, at: Token | TextSpan | undefined, details?: Readonly<Record<string, string>>): undefined {
    if (!this.failed) this.diagnostics.push(diagnostic(code, at === undefined ? this.endSpan : spanOf(at), details));
    return undefined;
  }

  /** An error of the extended grammar alone (a hint unless the text is otherwise well formed). */
  private syntax(at: Token | undefined, message: string): undefined {
    return this.report('NQL_SYNTAX', at, { message });
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

  /** field = name { "." name }, the dots written without spaces (extended); v1 had no dots. */
  private parseField(code: NqlErrorCode, details?: Readonly<Record<string, string>>): FieldNode | undefined {
    const first = this.index;
    const head = this.parseName(code, details);
    if (head === undefined) return undefined;
    const path = [head.name];
    let last = this.tokens[first];
    while (this.extended && last !== undefined) {
      const dot = this.peek();
      if (dot === undefined || dot.kind !== 'punct' || dot.value !== '.' || dot.offset !== last.end) break;
      const next = this.peek(1);
      if (next === undefined || (next.kind !== 'word' && next.kind !== 'kw') || next.offset !== dot.end) {
        return this.syntax(next ?? dot, "expected a field name right after '.'");
      }
      this.index += 2;
      path.push(next.value);
      last = next;
    }
    return { kind: 'Field', name: path.join('.'), path, span: this.spanFrom(first) };
  }

  /** A number argument; v1 applied Python int(), which truncates toward zero. */
  private parseInteger(code: NqlErrorCode, details?: Readonly<Record<string, string>>): IntegerNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'num') return this.report(code, token, details);
    this.advance();
    return { kind: 'Integer', value: Math.trunc(token.value) + 0, span: spanOf(token) };
  }

  private parseString(code: NqlErrorCode, details?: Readonly<Record<string, string>>): StringNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'str') return this.report(code, token, details);
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

  /** v1: WHERE cond { AND cond }; extended: WHERE or-expr. */
  private parseWhere(): ExprNode | undefined {
    if (this.acceptKeyword('where') === undefined) return undefined;
    return this.parseOr(0);
  }

  /** or-expr = and-expr { OR and-expr } */
  private parseOr(depth: number): ExprNode | undefined {
    const first = this.index;
    const operands: ExprNode[] = [];
    do {
      const operand = this.parseAnd(depth);
      if (operand === undefined) return undefined;
      operands.push(operand);
    } while (this.acceptWord('or') !== undefined);
    return operands.length === 1 ? operands[0] : { kind: 'Or', operands, span: this.spanFrom(first) };
  }

  /** and-expr = unary { AND unary } */
  private parseAnd(depth: number): ExprNode | undefined {
    const first = this.index;
    const operands: ExprNode[] = [];
    do {
      const operand = this.parseUnary(depth);
      if (operand === undefined) return undefined;
      operands.push(operand);
    } while (this.acceptKeyword('and') !== undefined);
    return operands.length === 1 ? operands[0] : { kind: 'And', operands, span: this.spanFrom(first) };
  }

  /** unary = NOT unary | "(" or-expr ")" | condition; each NOT and "(" is one level of depth. */
  private parseUnary(depth: number): ExprNode | undefined {
    if (!this.extended) return this.parseCondition();
    const first = this.index;
    const opensGroup = this.isPunct('(');
    if (!opensGroup && !this.isNotOperator()) return this.parseCondition();
    if (depth >= queryDepthMax) return this.report('NQL_LIMIT_DEPTH', this.peek(), { max: String(queryDepthMax) });
    this.advance();
    if (!opensGroup) {
      const operand = this.parseUnary(depth + 1);
      return operand === undefined ? undefined : { kind: 'Not', operand, span: this.spanFrom(first) };
    }
    const inner = this.parseOr(depth + 1);
    if (inner === undefined || !this.expectPunct(')', 'to close the group')) return undefined;
    return inner;
  }

  /**
   * NOT is the operator unless what follows makes it a field named `not`: a comparison operator, a `.`,
   * or IN / BETWEEN (v1 read `WHERE not = 1` as the field `not`; write `NOT (in = 1)` for the other reading).
   */
  private isNotOperator(): boolean {
    if (!this.isWord('not')) return false;
    const next = this.peek(1);
    if (next === undefined) return true;
    if (next.kind === 'op' || (next.kind === 'punct' && next.value === '.')) return false;
    return !this.isWord('in', 1) && !this.isWord('between', 1);
  }

  /** condition = field op value | field IN "(" value { "," value } ")" | field BETWEEN value AND value */
  private parseCondition(): ExprNode | undefined {
    const first = this.index;
    const field = this.parseField('NQL_WHERE_FIELD');
    if (field === undefined) return undefined;
    if (this.acceptWord('in') !== undefined) return this.parseInList(field, first);
    if (this.acceptWord('between') !== undefined) {
      const low = this.parseValue();
      if (low === undefined || !this.expectKeyword('and')) return undefined;
      const high = this.parseValue();
      return high === undefined ? undefined : { kind: 'Between', field, low, high, span: this.spanFrom(first) };
    }
    const opToken = this.peek();
    if (opToken === undefined || opToken.kind !== 'op' || !compareOps.has(opToken.value)) {
      return this.report('NQL_WHERE_OPERATOR', opToken);
    }
    this.advance();
    const value = this.parseValue();
    if (value === undefined) return undefined;
    return { kind: 'Condition', field, op: opToken.value as CompareOp, value, span: this.spanFrom(first) };
  }

  private parseInList(field: FieldNode, first: number): ExprNode | undefined {
    if (!this.expectPunct('(', 'after IN')) return undefined;
    const values: ValueNode[] = [];
    do {
      if (values.length === inListValuesMax) return this.report('NQL_LIMIT_IN_LIST', this.peek(), { max: String(inListValuesMax) });
      const value = this.parseValue();
      if (value === undefined) return undefined;
      values.push(value);
    } while (this.acceptPunct(',') !== undefined);
    if (!this.expectPunct(')', 'to close the IN list')) return undefined;
    return { kind: 'In', field, values, span: this.spanFrom(first) };
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

  /** ORDER BY field [ASC | DESC] { "," field [ASC | DESC] } (v1: one key) */
  private parseOrderBy(): OrderByNode[] {
    const keys: OrderByNode[] = [];
    let first = this.index;
    if (this.acceptKeyword('order') === undefined) return keys;
    if (!this.expectKeyword('by')) return keys;
    do {
      if (keys.length === listItemsMax) {
        this.report('NQL_LIMIT_LIST', this.peek(), { clause: 'ORDER BY', max: String(listItemsMax) });
        return keys;
      }
      const field = this.parseField('NQL_ORDER_FIELD');
      if (field === undefined) return keys;
      let descending = false;
      if (this.acceptKeyword('desc') !== undefined) descending = true;
      else this.acceptKeyword('asc');
      keys.push({ kind: 'OrderBy', field, descending, span: this.spanFrom(first) });
      first = this.index;
    } while (this.extended && this.acceptPunct(',') !== undefined);
    return keys;
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

  /** OFFSET n (extended): after LIMIT, or alone in its place. */
  private parseOffset(): IntegerNode | undefined {
    if (this.acceptWord('offset') === undefined) return undefined;
    const offset = this.parseInteger('NQL_SYNTAX', { message: 'OFFSET expects an integer' });
    if (offset !== undefined && offset.value < 0) return this.report('NQL_OFFSET_NEGATIVE', offset.span);
    return offset;
  }

  /** AFTER 'cursor' (extended). */
  private parseAfter(): StringNode | undefined {
    if (this.acceptWord('after') === undefined) return undefined;
    return this.parseString('NQL_SYNTAX', { message: 'AFTER expects a quoted cursor' });
  }

  private parseGroupBy(): GroupByNode | undefined {
    const first = this.index;
    if (this.acceptKeyword('group') === undefined) return undefined;
    if (!this.expectKeyword('by')) return undefined;
    const field = this.parseField('NQL_GROUP_FIELD');
    if (field === undefined) return undefined;
    const aggregate = this.parseAggregate();
    if (this.failed) return undefined;
    return { kind: 'GroupBy', field, aggregate, span: this.spanFrom(first) };
  }

  /** agg = COUNT | (SUM | AVG | MIN | MAX) field */
  private parseAggregate(): AggregateNode | undefined {
    const token = this.peek();
    if (token === undefined || token.kind !== 'kw') return undefined;
    if (token.value === 'count') {
      this.advance();
      return { kind: 'Aggregate', name: 'count', field: undefined, span: spanOf(token) };
    }
    if (!fieldAggregates.has(token.value)) return undefined;
    const first = this.index;
    this.advance();
    const field = this.parseField('NQL_AGGREGATE_FIELD', { aggregate: token.value.toUpperCase() });
    if (field === undefined) return undefined;
    return { kind: 'Aggregate', name: token.value as AggregateName, field, span: this.spanFrom(first) };
  }

  /** SELECT COUNT "(" "*" ")" | SELECT field { "," field } (extended, the last clause). */
  private parseSelect(): SelectNode | undefined {
    const first = this.index;
    if (this.acceptWord('select') === undefined) return undefined;
    if (this.isKeyword('count') && this.isPunct('(', 1)) {
      this.index += 2;
      if (!this.expectPunct('*', 'in COUNT(*)') || !this.expectPunct(')', 'to close COUNT(*)')) return undefined;
      return { kind: 'SelectCount', span: this.spanFrom(first) };
    }
    const fields: FieldNode[] = [];
    do {
      if (fields.length === listItemsMax) {
        return this.report('NQL_LIMIT_LIST', this.peek(), { clause: 'SELECT', max: String(listItemsMax) });
      }
      const field = this.parseField('NQL_SYNTAX', { message: 'expected field after SELECT' });
      if (field === undefined) return undefined;
      fields.push(field);
    } while (this.acceptPunct(',') !== undefined);
    return { kind: 'SelectFields', fields, span: this.spanFrom(first) };
  }

  private expectEnd(): void {
    const rest = this.tokens.slice(this.index);
    if (rest.length > 0) this.report('NQL_TRAILING_TOKENS', rest[0], { tokens: trailingTokensRepr(rest) });
  }

  /** AFTER needs rows of the FROM collection with a stable order, and a cursor of this very query. */
  private checkAfter(query: QueryNode, after: StringNode): void {
    const clause = query.traverse !== undefined ? 'TRAVERSE' : query.trace !== undefined ? 'TRACE' : query.groupBy !== undefined ? 'GROUP BY' : undefined;
    if (clause !== undefined) {
      this.report('NQL_AFTER_UNSUPPORTED', after.span, { clause });
      return;
    }
    const cursor = decodeCursor(after.value);
    if (cursor === undefined) this.report('NQL_CURSOR_INVALID', after.span);
    else if (cursor.fingerprint !== queryFingerprint(query) || cursor.keys.length !== query.orderBy.length) {
      this.report('NQL_CURSOR_MISMATCH', after.span);
    }
  }
}

function spanOf(at: Token | TextSpan): TextSpan {
  return { offset: at.offset, end: at.end, line: at.line, col: at.col };
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
    case 'punct':
      return undefined;
    default:
      return assertNever(token);
  }
}
