/**
 * What both halves of the HMS OAuth delegation agree on (docs/providers.md#flow-b): the gateway signs flow-B client
 * assertions with these names, the auth-server checks them.
 */

/** The scope of an HMS Push Kit access token, and flow A's default scope. */
export const HMS_SCOPE = 'https://push-api.cloud.huawei.com';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The longest an assertion may live: one hour. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

/** The header parameter and claim naming the app key: `sinch:rtc:application_key` in Sinch's deployment. */
export function applicationKeyName(claimPrefix: string): string {
  return `${claimPrefix}application_key`;
}

/** The assertion's `iss`: the app in the token namespace, as user access tokens name it. */
export function appIssuer(namespace: string, appKey: string): string {
  return `//${namespace}/applications/${appKey}`;
}
