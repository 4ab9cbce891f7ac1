/**
 * Maps DER straight onto asn1-schema classes, driven by asn1-schema's own schema metadata, without
 * building an asn1js object per element or running asn1js.compareSchema. It produces the values
 * AsnParser.fromASN would: every decision below (which element a field takes, which CHOICE
 * alternative wins, what a converter returns, which fields stay unset) mirrors asn1-schema 2.11 and
 * asn1js 3.1, at the level of tags rather than objects. Whatever it does not know how to read
 * directly (foreign converters, convertible classes, unusual primitive forms) goes through asn1js
 * for that one element, so correctness never depends on a fast path.
 *
 * Elements that asn1js ignores (extra elements after the last schema item) are not an error in
 * asn1-schema either: the caller's re-encoding check rejects them, except the DEFAULT encodings
 * that check tolerates; this reader tolerates exactly those and rejects the rest at once.
 */
import * as asn1js from 'asn1js';
import * as schemaLib from '@peculiar/asn1-schema';
import { AsnPropTypes, AsnTypeTypes } from '@peculiar/asn1-schema';
import type { IAsnSchema, IAsnSchemaItem } from '@peculiar/asn1-schema/build/types/schema';
import { BoundedMap } from '../bounded-map';
import { DEFAULT_MAX_DEPTH, readDer, shortestHeader, shortestInteger, type DerNode } from './der';
import { GeneralizedTimeConverter, RawAnyConverter, SmallIntegerConverter } from './converters';
import { anyIsVerbatim, oidBytesAreCanonical } from './der-writer';

// The bindings used below, read once. Compiled to CommonJS, `asn1js.X` and asn1-schema's named
// exports are getters (TypeScript's and tslib's re-export wrappers): each use was a call and a
// megamorphic keyed load, several per element read (the converter switch compares up to 16).
const { Any, Choice, Constructed, Repeated, fromBER } = asn1js;
const { OctetString: OctetStringClass, defaultConverter } = schemaLib;
const TypeKinds: typeof AsnTypeTypes = AsnTypeTypes;
const PropTypes: typeof AsnPropTypes = AsnPropTypes;

interface SchemaStorage {
  get(target: object): IAsnSchema;
  has(target: object): boolean;
  cache(target: object): void;
}
// Not exported from the package root; see optional-choice.ts for why this path is safe.
const { schemaStorage } = require('@peculiar/asn1-schema/build/cjs/storage') as { schemaStorage: SchemaStorage };
const { isConvertible, isTypeOfArray } = require('@peculiar/asn1-schema/build/cjs/helper') as {
  isConvertible(target: unknown): boolean;
  isTypeOfArray(target: unknown): boolean;
};

type Ctor = (new () => object) & {
  name: string;
  from?: (items: unknown[], map: (x: unknown) => unknown) => unknown;
  /** A convertible class that decodes itself from its own DER, bypassing asn1js (CMPCertificate). */
  fromDer?: (der: Uint8Array) => unknown;
  /** Such a class's answer to whether a value fromDer just gave encodes as the bytes it read. */
  readExactly?: (value: unknown) => boolean;
};
type Converter = {
  fromASN(value: unknown): unknown;
  /** For a convertible class that reads its own DER: the class's static fromDer. */
  fromDer?(der: Uint8Array): unknown;
  /** ... and its static readExactly. */
  readExactly?(value: unknown): boolean;
};

/** asn1-schema's message for an optional CHOICE field whose element fits no alternative. */
class ChoiceMismatch extends Error {}
const CHOICE_MISMATCH = 'Wrong values for Choice type';

interface Input {
  bytes: Uint8Array;
  /**
   * Still true: der-writer.ts writes exactly the bytes read so far for what was made of them. Set
   * false at the first element read in any way whose writing back is not certain (see parseDerExact).
   */
  exact: boolean;
}

// ---- Tag-level replica of asn1js.compareSchema -------------------------------------------------

type Schema = asn1js.AsnSchemaType & {
  idBlock?: { tagClass: number; tagNumber: number; isConstructed: boolean };
  valueBlock?: { value: Schema[] };
  value?: Schema | Schema[];
  optional?: boolean;
};

/**
 * An asn1js schema element as compareSchema reads it, compiled once per element into one shape:
 * matching then reads the same fields of the same kind of object every time, where reading the
 * asn1js elements themselves (a dozen classes) made each load megamorphic.
 */
interface Matcher {
  kind: number;
  /** TAG and CONSTRUCTED: the identifier the element must have (DerNode's numbering). */
  tagClass: number;
  tagNumber: number;
  constructed: boolean;
  optional: boolean;
  /** CONSTRUCTED: its elements; CHOICE: its alternatives. */
  items: Matcher[];
  /** For a Repeated (the element of a SEQUENCE OF): the repeated element's matcher. */
  repeated: Matcher | null;
}

/** Kinds, in the order compareSchema tests them (a Repeated is an Any; Sequence and Set are Constructed). */
const CHOICE = 0;
const ANY = 1;
const CONSTRUCTED = 2;
const TAG = 3;

const compiled = new WeakMap<Schema, Matcher>();

function matcherOf(s: Schema): Matcher {
  let m = compiled.get(s);
  if (m) return m;
  const id = s.idBlock;
  m = {
    kind: TAG,
    tagClass: id ? id.tagClass - 1 : -1,
    tagNumber: id ? id.tagNumber : -1,
    constructed: id ? id.isConstructed : false,
    optional: !!s.optional,
    items: [],
    repeated: null,
  };
  compiled.set(s, m);
  if (s instanceof Choice) {
    m.kind = CHOICE;
    m.items = (s.value as Schema[]).map(matcherOf);
  } else if (s instanceof Any) {
    m.kind = ANY;
    if (s instanceof Repeated) m.repeated = matcherOf(s.value as Schema);
  } else if (s instanceof Constructed) {
    m.kind = CONSTRUCTED;
    m.items = s.valueBlock!.value.map(matcherOf);
  }
  return m;
}

/**
 * Whether `node` fits the schema element `m` as compareSchema decides it, structure included
 * (tags, constructedness, required and optional children), contents of primitives not.
 */
function fits(m: Matcher, node: DerNode): boolean {
  const kind = m.kind;
  if (kind === CHOICE) {
    const alternatives = m.items;
    for (let i = 0; i < alternatives.length; i++) if (fits(alternatives[i]!, node)) return true;
    return false;
  }
  if (kind === ANY) return true;
  if (m.tagClass !== node.tagClass || m.tagNumber !== node.tagNumber || m.constructed !== node.constructed) return false;
  return kind === CONSTRUCTED ? matchChildren(m.items, node.children!) !== undefined : true;
}

/**
 * compareSchema's walk over the children of a constructed element: for each schema element the
 * child it took (undefined: none). undefined overall when the element does not fit. Children past
 * the last schema element are not looked at, as in asn1js.
 */
function matchChildren(items: Matcher[], children: DerNode[]): (DerNode | undefined)[] | undefined {
  if (items.length === 0) return [];
  const first = items[0]!;
  if (first.repeated !== null) {
    const inner = first.repeated;
    for (let i = 0; i < children.length; i++) if (!fits(inner, children[i]!) && !first.optional) return undefined;
    return [];
  }
  if (children.length === 0) return items.every((s) => s.optional) ? items.map(() => undefined) : undefined;
  const taken: (DerNode | undefined)[] = [];
  let j = 0;
  let lastFit = true;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (j >= children.length) {
      if (!item.optional) return undefined;
      taken.push(undefined);
    } else if (fits(item, children[j]!)) {
      taken.push(children[j++]);
      lastFit = true;
    } else if (item.optional) {
      taken.push(undefined);
      lastFit = false;
    } else {
      return undefined;
    }
  }
  return lastFit ? taken : undefined;
}

// ---- Per-class plans -----------------------------------------------------------------------------

interface ItemPlan {
  key: string;
  item: IAsnSchemaItem;
  /** The asn1js schema element asn-schema made for this item, compiled. */
  matcher: Matcher;
  /** Number type or convertible class: decoded by a converter. */
  primitive: boolean;
  converter?: Converter;
  /** For implicitly tagged primitive items: the universal identifier octet of the type. */
  universalId?: number;
  optionalChoice: boolean;
  /**
   * How the writer puts the value's element around it, read off `item` once (its fields are
   * megamorphic loads): the context tag number or -1, IMPLICIT, the SEQUENCE OF or SET OF tag
   * number of a repeated item or 0, and whether an IMPLICIT class is a CHOICE.
   */
  context: number;
  implicit: boolean;
  repeatedTag: number;
  implicitChoice: boolean;
  /**
   * Whether the value must be looked at to know if the writer writes it: the item has a DEFAULT,
   * or the class's constructor gives it a value (which the writer writes, element read or not).
   * For the others, taken up is written and left unset is skipped.
   */
  watched: boolean;
}

interface ClassPlan {
  type: Ctor;
  schema: IAsnSchema;
  items: ItemPlan[];
  /** The items' matchers, in order. */
  matchers: Matcher[];
}

const plans = new WeakMap<object, ClassPlan>();

function planOf(type: Ctor): ClassPlan {
  let plan = plans.get(type);
  if (plan) return plan;
  schemaStorage.cache(type);
  const schema = schemaStorage.get(type);
  const asn = schema.schema as unknown as Schema;
  const elements = (asn instanceof Choice ? asn.value : asn.valueBlock!.value) as Schema[];
  const fresh = new type() as Record<string, unknown>;
  const items = Object.keys(schema.items).map((key, i): ItemPlan => {
    const item = schema.items[key]!;
    const primitive = typeof item.type === 'number' || isConvertible(item.type);
    const tagged = item.context !== undefined && item.context !== null;
    // A convertible class decodes into a fresh instance each time (fromASN returns `this`).
    const converter = primitive ? ((item.converter ?? freshInstanceConverter(item.type as Ctor)) as Converter) : undefined;
    return {
      key,
      item,
      matcher: matcherOf(elements[i]!),
      primitive,
      converter,
      universalId: primitive && item.implicit ? universalIdOf(item.type as AsnPropTypes | Ctor) : undefined,
      optionalChoice:
        !!item.optional && typeof item.type === 'function' && schemaStorage.has(item.type) && schemaStorage.get(item.type).type === TypeKinds.Choice,
      context: tagged ? item.context! : -1,
      implicit: tagged && !!item.implicit,
      repeatedTag: item.repeated === 'sequence' ? 16 : item.repeated ? 17 : 0,
      implicitChoice:
        tagged &&
        !!item.implicit &&
        typeof item.type === 'function' &&
        schemaStorage.has(item.type) &&
        schemaStorage.get(item.type).type === TypeKinds.Choice,
      watched: item.defaultValue !== undefined || fresh[key] !== undefined,
    };
  });
  plan = { type, schema, items, matchers: items.map((p) => p.matcher) };
  plans.set(type, plan);
  return plan;
}

function freshInstanceConverter(type: Ctor): Converter {
  if (type === (OctetStringClass as unknown)) return OCTET_STRING_CLASS;
  const converter: Converter = { fromASN: (asn) => (new type() as unknown as Converter).fromASN(asn) };
  // Static: no instance is constructed only to be replaced (a Certificate's constructor builds a
  // whole empty certificate, buffers included).
  if (typeof type.fromDer === 'function') converter.fromDer = (der) => type.fromDer!(der);
  if (typeof type.readExactly === 'function') converter.readExactly = (value) => type.readExactly!(value);
  return converter;
}

/** asn1-schema's OctetString class (extnValue and the like): its buffer is the content. */
const OCTET_STRING_CLASS: Converter = {
  fromASN: (asn) => new OctetStringClass().fromASN(asn as asn1js.OctetString),
};

function universalIdOf(type: AsnPropTypes | Ctor): number | undefined {
  let block: Schema | undefined;
  if (typeof type === 'number') {
    const Asn1Type = (asn1js as unknown as Record<string, new () => Schema>)[PropTypes[type]];
    block = Asn1Type ? new Asn1Type() : undefined;
  } else {
    block = (new type() as { toSchema?(name: string): Schema }).toSchema?.('');
  }
  const id = block?.idBlock;
  if (!id || block instanceof Any || block instanceof Choice || id.tagNumber > 30) return undefined;
  return ((id.tagClass - 1) << 6) | (id.isConstructed ? 0x20 : 0) | id.tagNumber;
}

// ---- Classes -------------------------------------------------------------------------------------

function isTaggedConstructed(node: DerNode): boolean {
  return node.constructed && node.tagClass !== 0;
}

/** AsnParser.fromASN(element of `node`, type). `asUniversal`: an implicit tag already replaced. */
function parseClass(input: Input, node: DerNode, type: Ctor, asUniversal = false): unknown {
  if (isConvertible(type)) {
    input.exact = false;
    if (typeof type.fromDer === 'function' && !asUniversal) return type.fromDer(input.bytes.subarray(node.start, node.end));
    const value = new type() as { fromASN(asn: unknown): unknown };
    return value.fromASN(asn1jsOf(input, node, asUniversal ? universalHeader(type, node) : undefined));
  }
  const plan = planOf(type);
  const { schema } = plan;
  if (schema.type === TypeKinds.Choice) return parseChoice(input, node, plan);
  const expectedTag = schema.type === TypeKinds.Set ? 17 : 16;
  if (!asUniversal) {
    // asn1-schema reads a context-tagged constructed element as this type under that tag.
    const ok = isTaggedConstructed(node) ? node.tagClass === 2 : node.tagClass === 0 && node.tagNumber === expectedTag && node.constructed;
    if (!ok) throw new Error(`Data does not match to ${type.name} ASN1 schema.`);
    // Written back under its universal tag.
    if (node.tagClass !== 0) input.exact = false;
  }
  const children = node.children!;
  if (isTypeOfArray(type)) {
    const itemType = schema.itemType;
    if (typeof itemType === 'number') {
      const converter = defaultConverter(itemType) as Converter | null;
      if (!converter) throw new Error(`Cannot get default converter for array item of ${type.name} ASN1 schema`);
      return type.from!(children, (c) => convert(input, c as DerNode, converter, undefined));
    }
    return type.from!(children, (c) => parseClass(input, c as DerNode, itemType as unknown as Ctor));
  }
  const taken = matchChildren(plan.matchers, children);
  if (!taken) throw new Error(`Data does not match to ${type.name} ASN1 schema.`);
  const used = taken.reduce((n, t) => (t ? n + 1 : n), 0);
  checkLeftovers(input, children, used);
  // Leftovers (spelled-out DEFAULTs) are not written back.
  if (used !== children.length) input.exact = false;
  const res = new type() as Record<string, unknown>;
  for (let i = 0; i < plan.items.length; i++) {
    const element = taken[i];
    if (element) assign(input, res, plan.items[i]!, element);
  }
  if (input.exact) noteWrittenItems(input, res, plan, taken, null);
  return res;
}

/** compareSchema against the CHOICE: the first alternative the element fits. */
function parseChoice(input: Input, node: DerNode, plan: ClassPlan): unknown {
  if (isTaggedConstructed(node) && node.tagClass === 2) {
    const items = plan.items;
    for (let i = 0; i < items.length; i++) {
      const p = items[i]!;
      const { item } = p;
      if (item.context === node.tagNumber && item.implicit && typeof item.type === 'function' && schemaStorage.has(item.type)) {
        if (schemaStorage.get(item.type).type === TypeKinds.Sequence) {
          const res = new plan.type() as Record<string, unknown>;
          res[p.key] = parseClass(input, node, item.type as Ctor, true);
          if (item.repeated) input.exact = false;
          if (input.exact) noteWrittenItems(input, res, plan, null, p);
          return res;
        }
      }
    }
  }
  const items = plan.items;
  for (let i = 0; i < items.length; i++) {
    const p = items[i]!;
    if (fits(p.matcher, node)) {
      const res = new plan.type() as Record<string, unknown>;
      assign(input, res, p, node);
      if (input.exact) noteWrittenItems(input, res, plan, null, p);
      return res;
    }
  }
  throw new ChoiceMismatch(CHOICE_MISMATCH);
}

/**
 * The writer writes an item unless its value is undefined or its DEFAULT: each item that took an
 * element must be written and each other one skipped, for certain. Only the watched items can be
 * otherwise (assign sees to the others). An object DEFAULT is compared by its encoding there:
 * uncertain here. `taken`: the elements the items took, or for a CHOICE, `chosen` took one.
 */
function noteWrittenItems(
  input: Input,
  res: Record<string, unknown>,
  plan: ClassPlan,
  taken: readonly (DerNode | undefined)[] | null,
  chosen: ItemPlan | null,
): void {
  for (let i = 0; i < plan.items.length; i++) {
    const p = plan.items[i]!;
    if (!p.watched) continue;
    const value = res[p.key];
    const d = p.item.defaultValue;
    const written = taken ? taken[i] !== undefined : p === chosen;
    const certain = written
      ? value !== undefined && value !== d && !(d !== undefined && typeof d === 'object' && typeof value === 'object')
      : value === undefined || (d !== undefined && value === d);
    if (!certain) {
      input.exact = false;
      return;
    }
  }
}

/**
 * Whether the writer puts back the element of `node` as it is around an item's value: an EXPLICIT
 * [n] around it, an IMPLICIT [n] in place of its tag (constructed as the writer does it), a
 * SEQUENCE OF or SET OF around a repeated one. Anything rarer is left uncertain.
 */
function writtenAround(p: ItemPlan, node: DerNode): boolean {
  let list = node;
  if (p.context >= 0) {
    if (node.tagClass !== 2 || node.tagNumber !== p.context) return false;
    if (p.implicit) {
      if (p.repeatedTag !== 0) return false;
      if (p.primitive) return !node.constructed;
      return node.constructed && !p.implicitChoice;
    }
    if (!node.constructed || node.children!.length !== 1) return false;
    list = node.children![0]!;
  }
  return p.repeatedTag === 0 || (list.tagClass === 0 && list.constructed && list.tagNumber === p.repeatedTag);
}

/** What compareSchema names for an item whose schema element took `node`. */
function namedElement(input: Input, p: ItemPlan, node: DerNode): DerNode | DerNode[] | undefined {
  const { item } = p;
  const tagged = item.context !== undefined && item.context !== null;
  if (tagged && !item.implicit) {
    checkLeftovers(input, node.children!, 1);
    const inner = node.children![0]!;
    if (!item.repeated) return inner;
    return inner.children!.length > 0 ? inner.children : undefined;
  }
  if (item.repeated) {
    if (tagged && p.primitive) return node;
    return node.children!.length > 0 ? node.children : undefined;
  }
  return node;
}

/** processSchemaItems for one item whose schema element took `node`. */
function assign(input: Input, res: Record<string, unknown>, p: ItemPlan, node: DerNode): void {
  if (input.exact && !writtenAround(p, node)) input.exact = false;
  const element = namedElement(input, p, node);
  if (element === undefined) {
    // An element taken up for a value left unset (an empty list): the writer writes nothing.
    input.exact = false;
    return;
  }
  const { item, key } = p;
  if (p.primitive) {
    if (!p.converter) throw new Error('Converter is empty');
    if (item.repeated) {
      const list = Array.isArray(element) ? element : element.children!;
      res[key] = list.map((el) => convert(input, el, p.converter!, undefined));
    } else {
      res[key] = convert(input, element as DerNode, p.converter, item.implicit ? p : undefined);
    }
    return;
  }
  const type = item.type as Ctor;
  if (item.repeated) {
    res[key] = (element as DerNode[]).map((el) => parseClass(input, el, type));
    return;
  }
  const el = element as DerNode;
  let asUniversal = false;
  if (item.implicit && typeof item.context === 'number') {
    const kind = schemaStorage.get(type).type;
    asUniversal = kind === TypeKinds.Sequence || kind === TypeKinds.Set;
    if (asUniversal && !el.constructed) asUniversal = false;
  }
  if (p.optionalChoice) {
    try {
      res[key] = parseClass(input, el, type, asUniversal);
    } catch (e) {
      if (!(e instanceof ChoiceMismatch)) throw e;
      res[key] = undefined;
      // Taken up, but not written back.
      input.exact = false;
    }
    return;
  }
  res[key] = parseClass(input, el, type, asUniversal);
  if (item.raw) res[`${key}Raw`] = input.bytes.slice(el.start, el.end);
}

// ---- Primitive values ----------------------------------------------------------------------------

const {
  AsnAnyConverter,
  AsnBitStringConverter,
  AsnBooleanConverter,
  AsnEnumeratedConverter,
  AsnGeneralizedTimeConverter,
  AsnIA5StringConverter,
  AsnIntegerArrayBufferConverter,
  AsnIntegerBigIntConverter,
  AsnIntegerConverter,
  AsnNullConverter,
  AsnObjectIdentifierConverter,
  AsnOctetStringConverter,
  AsnPrintableStringConverter,
  AsnUTCTimeConverter,
  AsnUtf8StringConverter,
  AsnVisibleStringConverter,
} = schemaLib as unknown as Record<string, Converter>;
const SIMPLE_STRINGS = new Set<Converter>(
  [AsnIA5StringConverter, AsnPrintableStringConverter, AsnVisibleStringConverter].filter(Boolean) as Converter[],
);

/**
 * converter.fromASN(element) for `node`; `implicit`: the item is implicitly tagged, so the element
 * asn1-schema hands over carries the type's universal tag instead.
 */
function convert(input: Input, node: DerNode, converter: Converter, implicit: ItemPlan | undefined): unknown {
  const value = convertValue(input, node, converter, implicit);
  if (input.exact && !writtenBack(input.bytes, node, converter, implicit !== undefined, value)) input.exact = false;
  return value;
}

/** The universal tag number each converter's values are written under (der-writer.ts's fast paths). */
const WRITTEN_TAGS = new Map<Converter, number>([
  [AsnIntegerConverter, 2],
  [AsnIntegerBigIntConverter, 2],
  [SmallIntegerConverter, 2],
  [AsnIntegerArrayBufferConverter, 2],
  [AsnEnumeratedConverter, 10],
  [AsnOctetStringConverter, 4],
  [OCTET_STRING_CLASS, 4],
  [AsnBitStringConverter, 3],
  [AsnObjectIdentifierConverter, 6],
  [AsnBooleanConverter, 1],
  [AsnNullConverter, 5],
  [AsnUtf8StringConverter, 12],
  [AsnPrintableStringConverter, 19],
  [AsnIA5StringConverter, 22],
  [AsnVisibleStringConverter, 26],
  [AsnUTCTimeConverter, 23],
  [AsnGeneralizedTimeConverter, 24],
  [GeneralizedTimeConverter, 24],
]);

/**
 * Whether der-writer.ts writes back exactly `node`'s element for the value convertValue makes of
 * it: only for the forms where both are certain (the converters both read and write directly, DER's
 * one spelling of each value; a certificate answers for itself); false for anything else, which is
 * then encoded again to compare. `implicit`: the [n] in place of the tag is the caller's
 * (writtenAround).
 */
function writtenBack(bytes: Uint8Array, node: DerNode, converter: Converter, implicit: boolean, value: unknown): boolean {
  if (converter === AsnAnyConverter || converter === RawAnyConverter) {
    if (implicit) return false;
    // A NULL read as null is written as NULL, which anyIsVerbatim requires it to be.
    return converter === RawAnyConverter || anyIsVerbatim(bytes, node);
  }
  if (converter.fromDer) return !implicit && converter.readExactly?.(value) === true;
  if (node.constructed) return false;
  if (!implicit && (node.tagClass !== 0 || node.tagNumber !== WRITTEN_TAGS.get(converter))) return false;
  const start = node.start + node.headerLength;
  const end = node.end;
  const len = end - start;
  switch (converter) {
    case AsnIntegerConverter:
      return len <= 5 && shortestInteger(bytes, start, end);
    case AsnIntegerBigIntConverter:
    case SmallIntegerConverter:
      return shortestInteger(bytes, start, end) && (bytes[start]! & 0x80) === 0;
    case AsnEnumeratedConverter:
      return len <= 3 && shortestInteger(bytes, start, end);
    case AsnIntegerArrayBufferConverter:
    case AsnOctetStringConverter:
      return len > 0;
    case OCTET_STRING_CLASS:
      return true;
    case AsnBooleanConverter:
      return len === 1 && (bytes[start] === 0 || bytes[start] === 0xff);
    case AsnBitStringConverter:
      return len > 0 && bytes[start] === 0;
    case AsnObjectIdentifierConverter:
      return len <= 64 && oidBytesAreCanonical(bytes, node);
    case AsnNullConverter:
      return len === 0;
    case AsnUTCTimeConverter:
      return len === 13 && timeWrittenBack(bytes, start, end);
    case AsnGeneralizedTimeConverter:
    case GeneralizedTimeConverter:
      return len === 15 && timeWrittenBack(bytes, start, end);
    default:
      return (converter === AsnUtf8StringConverter || SIMPLE_STRINGS.has(converter)) && isAscii(bytes, start, end);
  }
}

/**
 * A plain time string whose digits are a real time (plainTime's Date.UTC rolls 24:00 or Feb 30
 * over into another time, which is written back as that), with a year the writer writes itself.
 */
function timeWrittenBack(bytes: Uint8Array, start: number, end: number): boolean {
  const time = plainTime(bytes, start, end);
  if (time === undefined) return false;
  const two = (at: number) => (bytes[at]! - 0x30) * 10 + (bytes[at + 1]! - 0x30);
  let at = start + (end - start === 13 ? 2 : 4);
  const year = end - start === 13 ? time.getUTCFullYear() : two(start) * 100 + two(start + 2);
  if (year < 1000 || time.getUTCFullYear() !== year || time.getUTCMonth() + 1 !== two(at)) return false;
  at += 2;
  return (
    time.getUTCDate() === two(at) &&
    time.getUTCHours() === two(at + 2) &&
    time.getUTCMinutes() === two(at + 4) &&
    time.getUTCSeconds() === two(at + 6)
  );
}

function convertValue(input: Input, node: DerNode, converter: Converter, implicit: ItemPlan | undefined): unknown {
  const { bytes } = input;
  const start = node.start + node.headerLength;
  const end = node.end;
  const len = end - start;
  if (converter.fromDer && !implicit) return converter.fromDer(bytes.subarray(node.start, end));
  if (node.constructed && !implicit && (converter === AsnAnyConverter || converter === RawAnyConverter)) {
    // An open type holding a constructed value (PBMParameter, infoValues): its exact bytes.
    return ownBuffer(bytes, node.start, end);
  }
  if (!node.constructed) {
    switch (converter) {
      case AsnIntegerConverter:
        if (len > 0 && len < 4) return Number(signedBigInt(bytes, start, end));
        if (len >= 4) return signedBigInt(bytes, start, end).toString(10);
        break;
      case AsnIntegerBigIntConverter:
        if (len > 0) return signedBigInt(bytes, start, end);
        break;
      case SmallIntegerConverter:
        if (len > 0) {
          const v = signedBigInt(bytes, start, end);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
            throw new Error(`INTEGER ${v} is out of range for this field`);
          }
          return Number(v);
        }
        break;
      case AsnEnumeratedConverter:
        if (len > 0 && len < 4) return Number(signedBigInt(bytes, start, end));
        break;
      case AsnIntegerArrayBufferConverter:
      case AsnOctetStringConverter:
        if (len > 0) return ownBuffer(bytes, start, end);
        break;
      case AsnBitStringConverter:
        if (len > 0 && bytes[start]! <= 7) return ownBuffer(bytes, start + 1, end);
        break;
      case AsnObjectIdentifierConverter: {
        const oid = oidString(bytes, start, end);
        if (oid !== undefined) return oid;
        break;
      }
      case AsnBooleanConverter:
        if (len === 1 && (bytes[start] === 0 || bytes[start] === 0xff)) return bytes[start] !== 0;
        break;
      case AsnNullConverter:
        return null;
      case AsnUtf8StringConverter:
        if (isAscii(bytes, start, end)) return latin1(bytes, start, end);
        break;
      case OCTET_STRING_CLASS: {
        const out = new OctetStringClass();
        out.buffer = ownBuffer(bytes, start, end);
        return out;
      }
      case AsnAnyConverter:
        if (!implicit) {
          if (node.tagClass === 0 && node.tagNumber === 5) return null;
          return ownBuffer(bytes, node.start, end);
        }
        break;
      case RawAnyConverter:
        if (!implicit) return ownBuffer(bytes, node.start, end);
        break;
      case AsnUTCTimeConverter:
      case AsnGeneralizedTimeConverter:
      case GeneralizedTimeConverter: {
        const time = len === (converter === AsnUTCTimeConverter ? 13 : 15) ? plainTime(bytes, start, end) : undefined;
        if (time !== undefined) return time;
        break;
      }
      default:
        if (SIMPLE_STRINGS.has(converter)) return latin1(bytes, start, end);
    }
  }
  return converter.fromASN(asn1jsElement(input, node, implicit));
}

/**
 * The Date asn1js gives for a time string of the plain DER forms, UTCTime YYMMDDHHMMSSZ or
 * GeneralizedTime YYYYMMDDHHMMSSZ (as its toDate computes it: Date.UTC without range checks,
 * UTCTime years below 50 in 20xx); undefined for any other content, which goes to asn1js.
 */
function plainTime(bytes: Uint8Array, start: number, end: number): Date | undefined {
  const len = end - start;
  if ((len !== 13 && len !== 15) || bytes[end - 1] !== 0x5a) return undefined;
  for (let i = start; i < end - 1; i++) if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return undefined;
  const two = (at: number) => (bytes[at]! - 0x30) * 10 + (bytes[at + 1]! - 0x30);
  let year: number;
  let at = start;
  if (len === 13) {
    const yy = two(at);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    at += 2;
  } else {
    year = two(at) * 100 + two(at + 2);
    at += 4;
  }
  return new Date(Date.UTC(year, two(at) - 1, two(at + 2), two(at + 4), two(at + 6), two(at + 8)));
}

/** The asn1js element asn1-schema would pass to a converter for `node`. */
function asn1jsElement(input: Input, node: DerNode, implicit: ItemPlan | undefined): asn1js.AsnType {
  if (!implicit) return asn1jsOf(input, node);
  if (implicit.universalId !== undefined && !node.constructed) {
    return asn1jsOf(input, node, Uint8Array.of(implicit.universalId));
  }
  // Anything else: asn1-schema's own retagging, step by step.
  const value = asn1jsOf(input, node) as asn1js.BaseBlock;
  const type = implicit.item.type;
  let fresh: asn1js.BaseBlock;
  if (isConvertible(type)) {
    fresh = (new (type as Ctor)() as unknown as { toSchema(n: string): asn1js.BaseBlock }).toSchema('');
  } else {
    const Asn1Type = (asn1js as unknown as Record<string, new () => asn1js.BaseBlock>)[PropTypes[type as number]];
    if (!Asn1Type) throw new Error(`Cannot get '${PropTypes[type as number]}' class from asn1js module`);
    fresh = new Asn1Type();
  }
  fresh.valueBlock = value.valueBlock;
  return fromBER(fresh.toBER(false)).result;
}

function universalHeader(type: Ctor, node: DerNode): Uint8Array | undefined {
  if (!node.constructed) return undefined;
  const kind = schemaStorage.has(type) ? schemaStorage.get(type).type : TypeKinds.Sequence;
  return Uint8Array.of(kind === TypeKinds.Set ? 0x31 : 0x30);
}

/**
 * asn1js's reading of the one element `node`, with `identifier` in place of its own identifier
 * octets if given. Bounded like the whole-message parse it stands in for.
 */
function asn1jsOf(input: Input, node: DerNode, identifier?: Uint8Array): asn1js.AsnType {
  let element = input.bytes.subarray(node.start, node.end);
  if (identifier) {
    const idLength = identifierLength(input.bytes, node.start);
    const out = new Uint8Array(identifier.length + element.length - idLength);
    out.set(identifier, 0);
    out.set(element.subarray(idLength), identifier.length);
    element = out;
  }
  const parsed = fromBER(element, {
    maxDepth: DEFAULT_MAX_DEPTH + 2,
    maxNodes: element.length * 16 + 1024,
    maxContentLength: element.length,
  });
  // Only a failure that would have stopped asn1js on the whole input: errors it merely records on
  // an element nested in a larger one are left to the converter, as before.
  if (parsed.offset === -1) throw new Error(parsed.result.error || 'asn1js could not read the element');
  return parsed.result;
}

function identifierLength(bytes: Uint8Array, start: number): number {
  if ((bytes[start]! & 0x1f) !== 0x1f) return 1;
  let i = start + 1;
  while ((bytes[i]! & 0x80) !== 0) i++;
  return i - start + 1;
}

/**
 * A fresh ArrayBuffer holding `bytes[start..end)`, made and filled at once: `slice().buffer` makes
 * a small typed array on V8's heap first, then a runtime call moves it into a buffer of its own.
 */
function ownBuffer(bytes: Uint8Array, start: number, end: number): ArrayBuffer {
  const out = new ArrayBuffer(end - start);
  new Uint8Array(out).set(bytes.subarray(start, end));
  return out;
}

function signedBigInt(bytes: Uint8Array, start: number, end: number): bigint {
  if (end - start <= 6) {
    let v = 0;
    for (let i = start; i < end; i++) v = v * 256 + bytes[i]!;
    if (bytes[start]! & 0x80) v -= 2 ** (8 * (end - start));
    return BigInt(v);
  }
  let hex = '';
  for (let i = start; i < end; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  const v = BigInt(`0x${hex}`);
  return bytes[start]! & 0x80 ? v - (1n << BigInt(8 * (end - start))) : v;
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Recently seen OIDs, filed by a hash of their content octets: a message repeats the same few dozen. */
interface KnownOid {
  octets: Uint8Array;
  oid: string;
}
const oidCache = new BoundedMap<number, KnownOid>(1024);

/**
 * The dotted form asn1js gives, or undefined for forms left to asn1js (huge arcs, empty). Looked up
 * by a number, not by a string of the octets: building that string and hashing it cost more than
 * the lookup saved.
 */
function oidString(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end === start || end - start > 64 || bytes[end - 1]! & 0x80) return undefined;
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  const key = hash & 0x3fffffff; // a small integer: V8 hashes it without a heap number
  const hit = oidCache.peek(key);
  if (hit !== undefined && sameOctets(hit.octets, bytes, start, end)) return hit.oid;
  let out = '';
  let value = 0;
  let octets = 0;
  let first = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (++octets > 7) return undefined; // asn1js switches to other arithmetic past 7 octets
    value = value * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      out = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      first = false;
    } else {
      out += `.${value}`;
    }
    value = 0;
    octets = 0;
  }
  // Another OID with the same hash is replaced: a miss only costs the computation above.
  oidCache.set(key, { octets: bytes.slice(start, end), oid: out });
  return out;
}

function sameOctets(octets: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (octets.length !== end - start) return false;
  for (let i = start; i < end; i++) if (octets[i - start] !== bytes[i]) return false;
  return true;
}

// ---- Whole input ---------------------------------------------------------------------------------

/**
 * DER encodings of DEFAULT values that the caller's re-encoding check tolerates in places where
 * asn1js ignores elements (see sameStructure in der.ts).
 */
function isOmittableDefault(bytes: Uint8Array, node: DerNode): boolean {
  const n = node.end - node.start;
  const s = node.start;
  if (n === 3) return bytes[s] === 0x01 && bytes[s + 1] === 0x01 && bytes[s + 2] === 0x00;
  if (n === 5) {
    return bytes[s] === 0xa0 && bytes[s + 1] === 0x03 && bytes[s + 2] === 0x02 && bytes[s + 3] === 0x01 && bytes[s + 4] === 0x00;
  }
  return false;
}

/**
 * Elements after the `used` ones. asn1js ignores them; decodeDerChecked rejects all but omittable
 * DEFAULT encodings, so this reader does the same at once.
 */
function checkLeftovers(input: Input, children: DerNode[], used: number): void {
  for (let i = used; i < children.length; i++) {
    if (!isOmittableDefault(input.bytes, children[i]!)) throw new Error('elements left over that the schema does not take');
  }
}

/**
 * Content that asn1js refuses while reading any element, wherever it is (inside ANY values
 * too): reserved universal tags, BIT STRINGs with more than 7 unused bits, OBJECT IDENTIFIERs
 * cut off mid-arc, BMPStrings and UniversalStrings cut off mid-character, time strings it throws
 * on. (Errors asn1js only notes on an element do not stop
 * it; the converter meets them.)
 */
function checkContents(input: Input, node: DerNode): void {
  const { bytes } = input;
  if (input.exact && !shortestHeader(node)) input.exact = false;
  if (node.tagClass === 0) {
    const t = node.tagNumber;
    if (t >= 37 || t === 15) throw new Error(`[UNIVERSAL ${t}] is reserved`);
    const start = node.start + node.headerLength;
    if (t === 3 && node.end > start && bytes[start]! > 7) throw new Error('Unused bits for BitString must be in range 0-7');
    // asn1js decodes BMPString as UTF-16 and UniversalString as UCS-4 and throws on a partial unit.
    if (!node.constructed && t === 30 && (node.end - start) % 2 !== 0) throw new Error('a BMPString of an odd number of octets');
    if (!node.constructed && t === 28 && (node.end - start) % 4 !== 0) throw new Error('a UniversalString whose length is not a multiple of 4');
    if ((t === 6 || t === 13) && node.end > start && bytes[node.end - 1]! & 0x80) {
      throw new Error('End of input reached before message was fully decoded');
    }
    // asn1js throws on some malformed time strings (and only notes others): ask it, unless the
    // string has the one form DER allows, which it reads without complaint.
    if ((t === 23 || t === 24) && plainTime(bytes, start, node.end) === undefined) asn1jsOf(input, node);
  }
  const children = node.children;
  if (children) for (let i = 0; i < children.length; i++) checkContents(input, children[i]!);
}

/**
 * The value of `type` that AsnParser.fromASN makes of asn1js's reading of `bytes`, or an Error
 * where either of them would fail. `root`: readDer's tree of the same bytes, if already made.
 */
export function parseDer<T>(bytes: Uint8Array, type: new () => T, root: DerNode = readDer(bytes)): T {
  return parseDerExact(bytes, type, root).value;
}

export interface ExactParse<T> {
  value: T;
  /**
   * True only when der-writer.ts's serializeDer(value) gives exactly `bytes` back, found while
   * reading: every element in DER's one form (shortest headers, integers, plain times...), read by
   * a path whose writing back is known, and taken up by the value. False says nothing: the value
   * must be encoded to find out.
   */
  exact: boolean;
}

/** parseDer, also telling whether writing the value gives exactly `bytes` back. */
export function parseDerExact<T>(bytes: Uint8Array, type: new () => T, root: DerNode = readDer(bytes)): ExactParse<T> {
  const input: Input = { bytes, exact: true };
  checkContents(input, root);
  const value = parseClass(input, root, type as unknown as Ctor) as T;
  return { value, exact: input.exact };
}
