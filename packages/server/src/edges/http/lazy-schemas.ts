import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type Factories = Required<NonNullable<SchemaController['compilersFactory']>>;
/** What Fastify hands a compiler and gets back (the two packages' declared types do not say it alike). */
type Route = { method: string; url: string };
type Validate = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Serialize = (doc: unknown) => string;
type Factory<F> = (externalSchemas: unknown, options: unknown) => (route: Route) => F;

/**
 * Fastify's own compilers (the same Ajv with the same options and shared schemas, the same fast-json-stringify),
 * but a route's validators and serializers are built on the route's first request instead of all at ready:
 * building every route's took about a third of the start-up. The routes in `eager` (`METHOD /path`) are built
 * at ready as before, so that their first request does not pay for it.
 */
export function lazySchemaCompilers(eager: ReadonlySet<string>): SchemaController {
  const validators = AjvCompiler() as unknown as Factory<Validate>;
  const serializers = SerializerSelector() as unknown as Factory<Serialize>;
  const isEager = (route: Route) => eager.has(`${route.method} ${route.url}`);
  const buildValidator: Factory<Validate> = (externalSchemas, options) => {
    const compile = validators(externalSchemas, options);
    return (route) => (isEager(route) ? compile(route) : lazyValidator(() => compile(route)));
  };
  const buildSerializer: Factory<Serialize> = (externalSchemas, options) => {
    const compile = serializers(externalSchemas, options);
    return (route) => {
      if (isEager(route)) return compile(route);
      let serialize: Serialize | undefined;
      return (doc) => {
        serialize ??= compile(route);
        return serialize(doc);
      };
    };
  };
  return {
    compilersFactory: {
      buildValidator: buildValidator as unknown as Factories['buildValidator'],
      buildSerializer: buildSerializer as unknown as Factories['buildSerializer'],
    },
  };
}

/** Stands for an Ajv validate function; Fastify reads `schemaEnv` before each call, which builds the real one. */
function lazyValidator(compile: () => Validate): Validate {
  let real: Validate | undefined;
  const get = () => {
    real ??= compile();
    return real;
  };
  const validate: Validate = (...args) => {
    const fn = get();
    const result = fn(...args);
    validate.errors = fn.errors;
    return result;
  };
  // Present on every Ajv function: Fastify then hands the parent object along, so Ajv may coerce the root value.
  Object.defineProperty(validate, 'schemaEnv', { get: () => get().schemaEnv });
  return validate;
}
