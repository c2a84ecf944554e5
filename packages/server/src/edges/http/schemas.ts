import { Type } from 'typebox';
import { ID_MAX_LENGTH, ID_PATTERN } from '#kernel';

/** Shared schema pieces of the HTTP API. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'machine-readable, snake_case' }),
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'the request field at fault, dotted path' })),
    }),
  },
  { $id: 'Error', title: 'Error' },
);

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')])) as Record<number, ReturnType<typeof Type.Ref>>;

/** User ids and device ids: opaque to callpush, bounded, no path or control characters. */
export const Id = (description: string) =>
  Type.String({ minLength: 1, maxLength: ID_MAX_LENGTH, pattern: ID_PATTERN, description });

export const AppKeyParam = Type.String({ minLength: 1, maxLength: 64, description: 'the app key' });
