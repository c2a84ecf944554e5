/**
 * The FCM/HMS data maps of the Kaleyra payload formats (docs/providers.md#kaleyra-sdk-payloads). The Kaleyra SDKs recognise a
 * push by a substring test on the serialised data (`on_call_incoming` or `on_message_sent` anywhere in it)
 * and then fetch the call over their own connection, so what matters is that the event name is in the data.
 */

/**
 * `kaleyra`: the event name and the webhook body as received, under `message`, the key Kaleyra's demo app
 * reads for a manual-strategy receiver; the automatic strategy only needs the substring.
 */
export function kaleyraData(event: string, body: string): Record<string, string> {
  return { event, message: body };
}

/**
 * `kaleyra-hybrid`: the React Native / Flutter / Cordova bridge walks the key path `message.kaleyra` (each
 * level a JSON string) to `{"payload": <webhook>, "user_token": <SDK access token>}` and connects with the
 * token as is.
 */
export function kaleyraHybridData(body: string, userToken: string): Record<string, string> {
  return { message: JSON.stringify({ kaleyra: { payload: JSON.parse(body), user_token: userToken } }) };
}

/** The Kaleyra Android SDK's recognition rule (`isKaleyraPushNotificationPayload`), for tests and docs. */
export function isKaleyraPushNotificationPayload(serialised: string): boolean {
  return serialised.includes('on_call_incoming') || serialised.includes('on_message_sent');
}
