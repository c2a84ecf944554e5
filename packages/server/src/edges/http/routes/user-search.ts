import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserDirectory } from '#domain/devices';
import { ID_MAX_LENGTH, ID_PATTERN, InvalidInput } from '#kernel';
import { type Authenticator, appOf } from '../authenticator.js';
import { errorResponses } from '../schemas.js';

const MAX_LIMIT = 100;

const Query = Type.Object(
  {
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: ID_MAX_LENGTH,
        pattern: ID_PATTERN,
        description: 'the start of the user id',
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9_-]+$',
        description: '`next` of the previous page',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 20, description: 'users per page' })),
  },
  { additionalProperties: false },
);

/** The last id of a page, as the next page's cursor: opaque to clients, checked when it comes back. */
const cursorOf = (userId: string) => Buffer.from(userId, 'utf8').toString('base64url');

function afterOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const userId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!new RegExp(ID_PATTERN).test(userId) || userId.length > ID_MAX_LENGTH) {
    throw new InvalidInput(
      'validation_failed',
      'cursor is not a cursor of this list: pass `next` as it came',
      'cursor',
    );
  }
  return userId;
}

/** `GET /v1/users?prefix=`: the app's users with a registered device, by id prefix (docs/console.md). */
export const userSearchRoutes: FastifyPluginAsyncTypebox<{ users: UserDirectory; auth: Authenticator }> = async (
  app,
  { users, auth },
) => {
  app.addHook('onRequest', async (req) => auth.app(req));
  app.get(
    '/v1/users',
    {
      schema: {
        tags: ['users'],
        security: [{ app: [] }],
        summary: 'Users with a registered device whose id starts with the prefix, in id order, a page at a time',
        querystring: Query,
        response: {
          200: Type.Object({
            users: Type.Array(Type.Object({ userId: Type.String() })),
            next: Type.Optional(Type.String({ description: 'the cursor of the next page; absent on the last page' })),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      // One more than asked: whether there is a next page, without a count.
      const found = await users.search(appOf(req), req.query.prefix ?? '', afterOf(req.query.cursor), limit + 1);
      const page = found.slice(0, limit);
      return {
        users: page.map((userId) => ({ userId })),
        ...(found.length > limit ? { next: cursorOf(page.at(-1)!) } : {}),
      };
    },
  );
};
