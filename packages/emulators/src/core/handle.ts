import type { BehaviourStore } from './behaviours.js';
import type { MessageStore } from './messages.js';
import type { EmulatorTls } from './tls.js';

/** What every started emulator gives its caller; each emulator adds the credentials a client needs. */
export interface EmulatorHandle {
  /** Where clients send (e.g. `https://127.0.0.1:4431`); the inspection API lives under `${baseUrl}/_emulator/`. */
  baseUrl: string;
  messages: MessageStore;
  behaviours: BehaviourStore;
  close(): Promise<void>;
}

/** Options every emulator accepts. */
export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** TLS material to serve with; when absent an emulator that needs TLS generates its own. */
  tls?: EmulatorTls;
}
