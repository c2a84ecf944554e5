export { fingerprint, keyFingerprint } from './fingerprint.js';
export { loadMasterKey, MasterKeyError } from './master-key.js';
export { SecretBox } from './secret-box.js';
