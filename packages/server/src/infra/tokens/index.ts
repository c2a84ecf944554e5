export {
  type MintInput,
  mintAccessToken,
  TokenError,
  type TokenErrorCode,
  type TokenSettings,
  type VerifiedToken,
  verifyAccessToken,
} from './access-token.js';
export { dateOfKid, deriveSigningKey, kidFor, utcDateStamp } from './signing-key.js';
