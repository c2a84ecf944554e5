import type { RecordedMessage } from '@callpush/emulators';

/** The v1 message inside each provider's wrapping, as an emulator recorded it. */
export function unwrapV1(m: RecordedMessage): Record<string, any> {
  const p = m.payload as Record<string, any>;
  switch (m.provider) {
    case 'fcm':
      return JSON.parse(p.data.callpush);
    case 'hms':
      return JSON.parse(JSON.parse(p.data).callpush);
    case 'apns':
      return p.callpush;
    default:
      return p;
  }
}
