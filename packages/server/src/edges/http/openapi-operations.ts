import { type BodyExample, CREDENTIAL_EXAMPLES, DEVICE_EXAMPLES, PLACE_CALL_EXAMPLES } from './openapi-examples.js';

/**
 * What the document says of one route beyond its schema. The schema stays the route's own (it validates
 * requests); this adds what only the document needs.
 */
export interface OperationDoc {
  /**
   * camelCase and stable: generated clients name their methods and types after it, so renaming one is a
   * breaking change for every client generated from the document.
   */
  id: string;
  /** For a route without a schema of its own (the documents): what it does. */
  summary?: string;
  /** The path the document shows, where the registered one is not the one to link (`/docs/` is served at `/docs`). */
  path?: string;
  /**
   * For a route that takes no HTTP credentials and so declares none itself: the probes, the documents, a
   * webhook checked by its own signature, the WebSocket whose first frame carries the token.
   */
  security?: readonly [];
  /** Answers the route's schema cannot declare: a WebSocket upgrade, a body that is not serialised JSON. */
  responses?: Record<string, unknown>;
  /** Named examples of the request body. */
  examples?: Record<string, BodyExample>;
  /**
   * The request body's name: a body that is one of several types told apart by a property (a discriminator)
   * has each type named after it (`fcm` of `ProviderCredential` is `FcmProviderCredential`), so generated
   * clients get named types instead of anonymous unions.
   */
  bodyName?: string;
}

/** The operations' tags, in the order the document lists them, with what each groups. */
export const TAGS = {
  calls: 'Place a call, follow its deliveries, answer, decline, cancel and end it',
  devices: "A user's own devices and their push registrations (user token)",
  users: 'What an app backend does for its users: access tokens, their devices',
  providers: "The app's push provider credentials (FCM, HMS, APNs, Web Push), stored encrypted",
  settings: "The app's behaviour and the texts of its cancels and missed-call notices",
  diagnosis: 'Why a call did or did not ring, and test rings',
  events: "The app's event endpoint: Standard Webhooks of what happened to its calls and devices",
  webhooks: "Webhooks callpush receives: Kaleyra Video's (and its intake configuration), Huawei Push Kit's receipts",
  connection: 'The active connection (WebSocket) of an app in the foreground',
  admin: "The operator's apps (admin token)",
  ops: 'Liveness, readiness and metrics',
  docs: 'This document and its browsable form',
} as const;

export type Tag = keyof typeof TAGS;

/** Routes are keyed `METHOD /path` exactly as they are registered (Fastify's `:param` syntax). */
type RouteKey = `${'GET' | 'POST' | 'PUT' | 'DELETE'} /${string}`;

const NONE = [] as const;

/**
 * Every operation of the API, by tag. A route missing here is documented without an operationId, which the
 * OpenAPI test and the linter refuse (docs/openapi.md).
 */
export const OPERATIONS: Record<Tag, Record<RouteKey, OperationDoc>> = {
  calls: {
    'POST /v1/calls': { id: 'placeCall', examples: PLACE_CALL_EXAMPLES },
    'GET /v1/calls': { id: 'listCalls' },
    'GET /v1/calls/:callId': { id: 'getCall' },
    'POST /v1/calls/:callId/cancel': { id: 'cancelCall' },
    'POST /v1/calls/:callId/end': { id: 'endCall' },
    'POST /v1/calls/:callId/answer': { id: 'answerCall' },
    'POST /v1/calls/:callId/decline': { id: 'declineCall' },
    'GET /v1/calls/:callId/status': { id: 'getCallStatus' },
    'POST /v1/calls/:callId/receipts': { id: 'sendRingReceipt' },
    'GET /v1/calls/:callId/events': {
      id: 'streamCallEvents',
      responses: {
        200: {
          description:
            'server-sent events: `call` (the call as GET /v1/calls/{callId} shows it) each time it changes, then ' +
            '`end` with {"reason": settled, lifetime, shutdown or error}; docs/console.md',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      },
    },
  },
  devices: {
    'PUT /v1/me/devices/:deviceId': { id: 'registerDevice', examples: DEVICE_EXAMPLES },
    'GET /v1/me/devices/:deviceId': { id: 'getMyDevice' },
    'DELETE /v1/me/devices/:deviceId': { id: 'unregisterDevice' },
    'GET /v1/me/devices': { id: 'listMyDevices' },
  },
  users: {
    'POST /v1/users/:userId/access-tokens': { id: 'issueAccessToken' },
    'GET /v1/users': { id: 'searchUsers' },
    'GET /v1/users/:userId/devices': { id: 'listUserDevices' },
    'DELETE /v1/users/:userId/devices/:deviceId': { id: 'deleteUserDevice' },
  },
  providers: {
    'PUT /v1/apps/:appKey/providers/:name': {
      id: 'putProviderCredential',
      examples: CREDENTIAL_EXAMPLES,
      bodyName: 'ProviderCredential',
    },
    'GET /v1/apps/:appKey/providers': { id: 'listProviderCredentials' },
    'GET /v1/apps/:appKey/providers/:name': { id: 'getProviderCredential' },
    'DELETE /v1/apps/:appKey/providers/:name': { id: 'deleteProviderCredential' },
    'GET /v1/apps/:appKey/provider-health': { id: 'getProviderHealth' },
  },
  settings: {
    'GET /v1/apps/:appKey/settings': { id: 'getAppSettings' },
    'PUT /v1/apps/:appKey/settings': { id: 'putAppSettings' },
    'GET /v1/apps/:appKey/notifications': { id: 'getNotificationTexts' },
    'PUT /v1/apps/:appKey/notifications': { id: 'putNotificationTexts' },
  },
  diagnosis: {
    'GET /v1/calls/:callId/diagnosis': { id: 'diagnoseCall' },
    'POST /v1/users/:userId/test-ring': { id: 'testRing' },
  },
  events: {
    'PUT /v1/apps/:appKey/webhooks/events': { id: 'putEventEndpoint' },
    'GET /v1/apps/:appKey/webhooks/events': { id: 'getEventEndpoint' },
    'DELETE /v1/apps/:appKey/webhooks/events': { id: 'deleteEventEndpoint' },
    'POST /v1/apps/:appKey/webhooks/events/test': { id: 'sendTestEvent' },
    'GET /v1/apps/:appKey/webhooks/events/deliveries': { id: 'listEventDeliveries' },
  },
  webhooks: {
    'PUT /v1/apps/:appKey/webhooks/kaleyra': { id: 'putKaleyraConfig' },
    'GET /v1/apps/:appKey/webhooks/kaleyra': { id: 'getKaleyraConfig' },
    'POST /v1/webhooks/kaleyra/:appKey': { id: 'receiveKaleyraWebhook', security: NONE },
    'POST /v1/webhooks/hms-receipts/:appKey': { id: 'receiveHmsReceipts', security: NONE },
  },
  connection: {
    'GET /v1/connect': {
      id: 'connect',
      security: NONE,
      responses: {
        101: {
          type: 'null',
          description:
            'Switching Protocols: the socket is open. Its first frame is {"type":"hello","token","deviceId"} with a ' +
            'user access token; the frames and close codes are in docs/active-connection.md.',
        },
      },
    },
  },
  admin: {
    'POST /v1/apps': { id: 'createApp' },
    'GET /v1/apps': { id: 'listApps' },
    'DELETE /v1/apps/:appKey': { id: 'deleteApp' },
  },
  ops: {
    'GET /healthz': { id: 'getHealth', security: NONE },
    'GET /readyz': { id: 'getReadiness', security: NONE },
    'GET /metrics': {
      id: 'getMetrics',
      responses: {
        200: {
          description: 'the Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
  docs: {
    'GET /openapi.json': {
      id: 'getOpenApiDocument',
      summary: 'This document',
      security: NONE,
      responses: {
        200: {
          description: 'this document (OpenAPI 3.1)',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
    'GET /docs/': {
      id: 'getApiDocs',
      summary: 'This document in the Swagger UI, to browse and try',
      path: '/docs',
      security: NONE,
      responses: {
        200: { description: 'Swagger UI over this document', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
    'GET /console/': {
      id: 'getConsole',
      summary: 'The web console (docs/console.md)',
      path: '/console',
      security: NONE,
      responses: {
        200: { description: 'the console page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
    'GET /console/:file': {
      id: 'getConsoleFile',
      summary: "A file of the console's build",
      security: NONE,
      responses: { 200: { description: 'the file (script, style sheet or image)' } },
    },
    'GET /console/sandbox-app': {
      id: 'getConsoleSandboxApp',
      summary: "The sandbox app's credentials for the console, to a loopback caller only (204 without a sandbox)",
      security: NONE,
    },
    'GET /console/sandbox-phones': {
      id: 'getConsoleSandboxPhones',
      summary: "The sandbox user's emulated devices and the last call message each got, to a loopback caller only",
      security: NONE,
    },
    'GET /console/sandbox-phones/events': {
      id: 'streamConsoleSandboxPhones',
      summary: 'The sandbox phones as server-sent events, each time one changes, to a loopback caller only',
      security: NONE,
    },
  },
};

export interface FoundOperation {
  tag: Tag;
  doc: OperationDoc;
}

const BY_ROUTE = new Map<string, FoundOperation>(
  Object.entries(OPERATIONS).flatMap(([tag, operations]) =>
    Object.entries(operations).map(([key, doc]) => [key, { tag: tag as Tag, doc }] as const),
  ),
);

/** The operation of a route as it is registered (`GET`, `/v1/calls/:callId`), if the map has one. */
export function operationOf(method: string, url: string): FoundOperation | undefined {
  return BY_ROUTE.get(`${method} ${url}`);
}
