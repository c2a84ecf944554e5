import type { ProviderClient, ProviderClientOptions } from '../push/types.js';
import { createApnsClient } from './apns/client.js';
import { createFcmClient } from './fcm/client.js';
import { createHmsClient } from './hms/client.js';
import type { ProviderCredential } from './registry.js';
import { createWebPushClient } from './webpush/client.js';

/** The one place that knows every provider: a credential in, its client out. */
export function createProviderClient(credential: ProviderCredential, options: ProviderClientOptions): ProviderClient {
  switch (credential.type) {
    case 'fcm':
      return createFcmClient(credential, options);
    case 'hms':
      return createHmsClient(credential, options);
    case 'apns':
      return createApnsClient(credential, options);
    case 'webpush':
      return createWebPushClient(credential, options);
  }
}
