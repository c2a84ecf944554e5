/** The parts of a generated OpenAPI document this post-processing reads. */
interface Schema {
  title?: string;
  oneOf?: Schema[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  properties?: Record<string, { enum?: unknown[] }>;
  $ref?: string;
}

interface Document {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, unknown> };
}

const pascal = (value: string) =>
  value
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * Moves the inline branches of every named request body that is a discriminated `oneOf` into
 * `components.schemas`, each named after its discriminator value and the body (`FcmProviderCredential`), and
 * maps the values to them: a discriminator can only select named schemas, and generated clients then get one
 * named type per branch.
 */
export function nameDiscriminatedBodies(generated: object): void {
  const document = generated as Document;
  document.components ??= {};
  const schemas = document.components.schemas ?? {};
  document.components.schemas = schemas;
  for (const methods of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(methods)) {
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (!body?.title || !body.oneOf || !body.discriminator) continue;
      const property = body.discriminator.propertyName;
      const mapping: Record<string, string> = {};
      body.oneOf = body.oneOf.map((branch) => {
        const value = branch.properties?.[property]?.enum;
        if (branch.$ref || value?.length !== 1 || typeof value[0] !== 'string') return branch;
        const name = `${pascal(value[0])}${body.title}`;
        schemas[name] = branch;
        mapping[value[0]] = `#/components/schemas/${name}`;
        return { $ref: mapping[value[0]] };
      });
      body.discriminator = { ...body.discriminator, mapping };
    }
  }
}
