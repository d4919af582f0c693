// A small JSON Schema builder with static types: the subset of TypeBox's `Type` API that diemcau uses, written here
// because TypeBox loads about 250 modules (some 9 MB of a box's memory) for what is, at run time, plain JSON Schema.
// Each builder returns a plain JSON Schema object; `Static<typeof S>` is its TypeScript type. Validation and
// defaults are in ./value.ts. The exported schemas are ordinary JSON Schema (draft 2020-12 keywords). Every builder
// checks what it builds (./keywords.ts): an option the validator does not know (`format`, `enum`, ...) throws here,
// naming the keyword and where it is, instead of being silently ignored.
import { supported, SchemaKeywordError } from './keywords.js';

declare const StaticType: unique symbol;
/** Marks a property optional in its object (a symbol: JSON.stringify leaves it out). */
export const OptionalKind: unique symbol = Symbol.for('diemcau.schema.optional') as never;

export interface TSchema {
  readonly [StaticType]?: unknown;
  readonly [OptionalKind]?: true;
  [keyword: string]: unknown;
}

/** The TypeScript type a schema describes. */
export type Static<S extends TSchema> = S extends { readonly [StaticType]?: infer T } ? T : unknown;

type Typed<T> = TSchema & { readonly [StaticType]?: T };
export type TOptional<S extends TSchema> = S & { readonly [OptionalKind]: true };
export type TProperties = Record<string, TSchema>;

type OptionalKeys<P extends TProperties> = { [K in keyof P]: P[K] extends { readonly [OptionalKind]: true } ? K : never }[keyof P];
type RequiredKeys<P extends TProperties> = Exclude<keyof P, OptionalKeys<P>>;
type Flatten<T> = { [K in keyof T]: T[K] } & {};
export type ObjectStatic<P extends TProperties> = Flatten<
  { [K in RequiredKeys<P>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }
>;

export type TObject<P extends TProperties = TProperties> = Typed<ObjectStatic<P>> & { type: 'object'; properties: P };
export type TString = Typed<string>;
export type TNumber = Typed<number>;
export type TBoolean = Typed<boolean>;
export type TNull = Typed<null>;
export type TUnknown = Typed<unknown>;
export type TLiteral<V extends string | number | boolean> = Typed<V>;
export type TArray<S extends TSchema> = Typed<Array<Static<S>>>;
export type TUnion<S extends TSchema[]> = Typed<Static<S[number]>>;
export type TRecord<V extends TSchema> = Typed<Record<string, Static<V>>>;

type Opts = Record<string, unknown>;

/** A record's keys become one patternProperties entry: its key schema may say nothing but a pattern. */
function recordKeyPattern(key: TString): string {
  const extra = Object.keys(key).find((k) => !['type', 'pattern', 'title', 'description', 'examples', '$comment'].includes(k));
  if (extra) throw new SchemaKeywordError(extra, 'the key of Type.Record', 'only a pattern is supported on record keys');
  return (key.pattern as string | undefined) ?? '^.*$';
}

function Object_<P extends TProperties>(properties: P, options: Opts = {}): TObject<P> {
  const required = Object.keys(properties).filter((k) => !properties[k][OptionalKind]);
  return supported({ ...options, type: 'object', properties, ...(required.length ? { required } : {}) } as TObject<P>);
}

export const Type = {
  Object: Object_,
  String: (options: Opts = {}): TString => supported({ ...options, type: 'string' }),
  Number: (options: Opts = {}): TNumber => supported({ ...options, type: 'number' }),
  Integer: (options: Opts = {}): TNumber => supported({ ...options, type: 'integer' }),
  Boolean: (options: Opts = {}): TBoolean => supported({ ...options, type: 'boolean' }),
  Null: (options: Opts = {}): TNull => supported({ ...options, type: 'null' }),
  Unknown: (options: Opts = {}): TUnknown => supported({ ...options }),
  Literal: <const V extends string | number | boolean>(value: V, options: Opts = {}): TLiteral<V> =>
    supported({ ...options, const: value }),
  Array: <S extends TSchema>(items: S, options: Opts = {}): TArray<S> => supported({ ...options, type: 'array', items }),
  Union: <const S extends TSchema[]>(anyOf: [...S], options: Opts = {}): TUnion<S> => supported({ ...options, anyOf }),
  Record: <V extends TSchema>(key: TString, value: V, options: Opts = {}): TRecord<V> =>
    supported({
      ...options,
      type: 'object',
      patternProperties: { [recordKeyPattern(key)]: value },
      additionalProperties: false,
    }),
  Optional: <S extends TSchema>(schema: S): TOptional<S> => supported({ ...schema, [OptionalKind]: true }) as TOptional<S>,
};
