/**
 * What a device says it can do: facts only the device knows that explain a ring that did not show
 * (docs/diagnosis.md). Reported when it registers and on a receipt; they decide nothing, they explain.
 */
export interface Capabilities {
  /** The OS notification permission of the app. */
  notifications?: 'granted' | 'denied' | 'default';
  /** Android 14+: whether the app may show its full-screen incoming-call screen. */
  fullScreenIntent?: boolean;
  /** The priority FCM delivered the last push at: FCM lowers apps whose high-priority pushes show nothing. */
  fcmPriority?: 'high' | 'normal';
  /** iOS: whether the app reported its last VoIP push to CallKit (iOS stops VoIP pushes to apps that do not). */
  callKitReported?: boolean;
}

/** The capabilities as kept: every fact reported so far, and when the device last reported any. */
export interface ReportedCapabilities extends Capabilities {
  reportedAt: number;
}

/** A report changes the facts it names and keeps the others: a receipt tells only what it knows. */
export function mergeCapabilities(
  kept: ReportedCapabilities | undefined,
  report: Capabilities,
  at: number,
): ReportedCapabilities {
  const named = Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined));
  return { ...kept, ...named, reportedAt: at };
}
