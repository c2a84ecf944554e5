import fc from 'fast-check';

/** The part of JSON Schema the gateway's OpenAPI document uses. */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  /** `if`/`then`/`else`: a body of one of two shapes, told apart by a property (device registration). */
  then?: Schema;
  else?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

export type Security = 'admin' | 'app' | 'user' | 'metrics' | 'none';

/** One operation of the document: what a request to it is made of. */
export interface Operation {
  method: string;
  /** The path template, `/v1/calls/{callId}`. */
  path: string;
  pathParams: Array<{ name: string; schema: Schema }>;
  headerParams: Array<{ name: string; schema: Schema }>;
  body?: Schema;
  /** The schemes it accepts, `none` when it is open (or, like the Kaleyra webhook, signed instead). */
  security: Security[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string; schema: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Array<Record<string, string[]>>;
}

/** Every operation of the document a running gateway serves at `/openapi.json`. */
export async function loadOperations(baseUrl: string): Promise<{ operations: Operation[]; resolve: Resolve }> {
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument;
  const resolve = resolver(doc);
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const pick = (where: string) =>
        params.filter((p) => p.in === where).map((p) => ({ name: p.name, schema: resolve(p.schema) }));
      const body = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: pick('path'),
        headerParams: pick('header'),
        ...(body ? { body: resolve(body) } : {}),
        // `security: []` (or none at all) is a public route.
        security: securityOf(op.security),
      });
    }
  }
  return { operations, resolve };
}

export type Resolve = (schema: Schema) => Schema;

function resolver(doc: OpenApiDocument): Resolve {
  return (schema) => {
    const ref = schema.$ref;
    if (!ref) return schema;
    const name = ref.split('/').pop()!;
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`the document has no schema ${ref}`);
    return target;
  };
}

/**
 * Values the schema accepts (before any check the schema cannot say, such as a PEM that parses): the starting
 * points the mutations then break one way or another.
 */
export function validValue(schema: Schema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const choices = s.oneOf ?? s.anyOf ?? (s.then && s.else ? [s.then, s.else] : undefined);
  if (choices) return fc.oneof(...choices.map((c) => validValue(c, resolve, depth + 1)));
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string':
      if (s.pattern) {
        return fc
          .stringMatching(new RegExp(s.pattern))
          .filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? 4096));
      }
      return fc.string({ unit: 'grapheme', minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 64, 64) });
    case 'integer':
      return fc.integer({ min: s.minimum ?? -(2 ** 31), max: s.maximum ?? 2 ** 31 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue(s.items ?? {}, resolve, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object': {
      const props = s.properties ?? {};
      const known = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValue(v, resolve, depth + 1)])),
        { requiredKeys: (s.required ?? []).filter((k) => k in props) },
      );
      const extra = s.additionalProperties;
      if (typeof extra !== 'object' || depth > 4) return known;
      return fc
        .tuple(known, fc.dictionary(fc.string({ minLength: 1, maxLength: 16 }), validValue(extra, resolve, depth + 1)))
        .map(([k, more]) => ({ ...more, ...k }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function securityOf(declared: Array<Record<string, string[]>> | undefined): Security[] {
  const schemes = declared?.flatMap((s) => Object.keys(s) as Security[]) ?? [];
  return schemes.length > 0 ? schemes : ['none'];
}
