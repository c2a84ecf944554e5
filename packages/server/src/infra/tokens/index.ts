export {
  type MintInput,
  mintAccessToken,
  TokenError,
  type TokenErrorCode,
  type TokenSettings,
  type VerifiedToken,
  verifyAccessToken,
} from './access-token.js';
export { dateOfKid, deriveSigningKey, kidFor, MAX_NUMERIC_DATE, utcDateStamp } from './signing-key.js';
