import { type Static, Type } from 'typebox';
import { InvalidInput } from '#kernel';

/** Huawei merges receipts: one POST carries at most 1000 statuses (100 on some of its pages). */
export const MAX_STATUSES = 1000;
/** Enough for 1000 statuses of the largest fields below; a bigger body is refused unread (413). */
export const MAX_BODY_BYTES = 1024 * 1024;

const Millis = (description: string) => Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description });

/**
 * One status of a receipt, in either of Huawei's shapes: v1 (`status`, `timestamp`, `appid`: sends of the v1
 * API) or v2 (`deliveryStatus`: sends of the v3 API). Fields callpush does not read are allowed, as Huawei adds
 * them over time; those it reads are checked.
 */
const ReceiptStatusSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 256, description: "the send's requestId" }),
  token: Type.String({ minLength: 1, maxLength: 4096, description: 'the device token the status is about' }),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'v1: the receipt status' })),
  timestamp: Type.Optional(Millis('v1: when the message reached the device (its clock), epoch ms')),
  appid: Type.Optional(Type.String({ maxLength: 64, description: 'v1: the app id of the send' })),
  biTag: Type.Optional(Type.String({ maxLength: 1024 })),
  pushType: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'v2: the push-type of the send' })),
  appPackageName: Type.Optional(Type.String({ maxLength: 256 })),
  deliveryStatus: Type.Optional(
    Type.Object({
      result: Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'the receipt status' }),
      timestamp: Type.Optional(Millis('when it reached the device, or when the failure was reported')),
    }),
  ),
});

export const HmsReceiptBodySchema = Type.Object(
  { statuses: Type.Array(ReceiptStatusSchema, { minItems: 1, maxItems: MAX_STATUSES }) },
  { title: 'HMS receipt' },
);
export type HmsReceiptBody = Static<typeof HmsReceiptBodySchema>;

/** A status in one shape, whichever Huawei sent. */
export interface ReceiptStatus {
  requestId: string;
  token: string;
  status: number;
  /** Absent when Huawei gave no time. */
  at?: number;
  /** v1 names the app the send was for; v2 does not. */
  appId?: string;
}

/** The statuses of a receipt; each must carry its status in one of the shapes (InvalidInput naming it). */
export function statusesOf(body: HmsReceiptBody): ReceiptStatus[] {
  return body.statuses.map((s, i) => {
    const status = s.status ?? s.deliveryStatus?.result;
    if (status === undefined) {
      throw new InvalidInput(
        'validation_failed',
        `statuses.${i} has neither status nor deliveryStatus`,
        `statuses.${i}`,
      );
    }
    const at = s.timestamp ?? s.deliveryStatus?.timestamp;
    return {
      requestId: s.requestId,
      token: s.token,
      status,
      ...(at === undefined ? {} : { at }),
      ...(s.appid === undefined ? {} : { appId: s.appid }),
    };
  });
}
