/**
 * asn1-schema describes an OPTIONAL field whose type is a CHOICE as "ANY", and asn1js lets ANY match
 * whatever element comes next. When such a field is absent but a later OPTIONAL field is present
 * (CertReqMsg without popo but with regInfo), the later element is swallowed and lost. This module
 * replaces that ANY by a matcher that accepts only the tags the CHOICE's alternatives can start with.
 */
import * as asn1js from 'asn1js';
import { AsnPropTypes, AsnTypeTypes } from '@peculiar/asn1-schema';
import type { IAsnSchema } from '@peculiar/asn1-schema/build/types/schema';

interface SchemaStorage {
  get(target: object): IAsnSchema;
  cache(target: object): void;
}

// asn1-schema does not export its schema registry from the package root; the CommonJS build path
// is stable across the 2.x line and the package has no "exports" map that would hide it.
const { schemaStorage } = require('@peculiar/asn1-schema/build/cjs/storage') as { schemaStorage: SchemaStorage };

type Ctor = new () => object;

function universalMatchers(type: AsnPropTypes | Ctor, name: string): asn1js.AsnSchemaType[] {
  if (typeof type === 'number') {
    const Asn1Type = (asn1js as unknown as Record<string, new (p: { name: string }) => asn1js.AsnSchemaType>)[AsnPropTypes[type]];
    if (!Asn1Type || type === AsnPropTypes.Any) throw new Error(`cannot derive tags for ${AsnPropTypes[type]}`);
    return [new Asn1Type({ name })];
  }
  const schema = schemaStorage.get(type);
  switch (schema.type) {
    case AsnTypeTypes.Sequence:
      return [new asn1js.Sequence({ name })];
    case AsnTypeTypes.Set:
      return [new asn1js.Set({ name })];
    default:
      return alternatives(type, name);
  }
}

function alternatives(choiceType: Ctor, name: string): asn1js.AsnSchemaType[] {
  const schema = schemaStorage.get(choiceType);
  const out: asn1js.AsnSchemaType[] = [];
  for (const item of Object.values(schema.items)) {
    if (typeof item.context === 'number') {
      const idBlock = { tagClass: 3, tagNumber: item.context };
      out.push(new asn1js.Primitive({ name, idBlock }), new asn1js.Constructed({ name, idBlock }));
    } else {
      out.push(...universalMatchers(item.type as AsnPropTypes | Ctor, name));
    }
  }
  return out;
}

/**
 * Makes the OPTIONAL CHOICE-typed `property` of the SEQUENCE class `target` match only elements
 * whose tag one of the CHOICE's alternatives can carry. Call once, after the class is decorated.
 */
export function matchOptionalChoiceByTag(target: Ctor, property: string): void {
  schemaStorage.cache(target);
  const schema = schemaStorage.get(target);
  const keys = Object.keys(schema.items);
  const index = keys.indexOf(property);
  const item = schema.items[property];
  if (index < 0 || !item || !item.optional || typeof item.type !== 'function' || item.context !== undefined) {
    throw new Error(`${target.name}.${property} is not an untagged OPTIONAL CHOICE field`);
  }
  const sequence = schema.schema as asn1js.Sequence;
  sequence.valueBlock.value[index] = new asn1js.Choice({
    name: property,
    optional: true,
    value: alternatives(item.type as Ctor, property) as asn1js.BaseBlock[],
  }) as unknown as asn1js.AsnType;
}
