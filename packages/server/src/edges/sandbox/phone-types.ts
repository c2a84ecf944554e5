/**
 * What `GET /console/sandbox-phones` answers, in a module of types only: the console's browser code reads them
 * from here (it cannot import the server's modules).
 */

/** The last call message a phone received, read out of the push the emulator recorded. */
export interface PhoneMessage {
  callId: string;
  type: 'ring' | 'cancel' | 'missed';
  from: string;
  displayName?: string;
  video?: boolean;
  headers: Record<string, string>;
  /** Why a cancel stops the ring, or why a call was missed. */
  reason?: string;
  /** When the ring stops by itself, epoch ms. */
  expiresAt?: number;
  receivedAt: number;
  /** Where the call stands now: a VoIP phone gets no cancel push, and the answering phone none at all. */
  call?: { state: string; answeredBy?: { userId: string; deviceId: string } };
}

export interface SandboxPhone {
  deviceId: string;
  provider: string;
  kind: string;
  last?: PhoneMessage;
}
