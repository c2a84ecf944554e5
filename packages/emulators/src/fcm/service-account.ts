import { generateKeyPair, type KeyObject, randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

/** A Google service-account key file, as the Firebase console downloads it. */
export interface ServiceAccount {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  /** PKCS#8 RSA private key, PEM. */
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  /** The emulator's own token endpoint: the `aud` an assertion must carry. */
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

/** The key pair behind a service account, generated once per emulator (RSA keygen costs tens of ms). */
export interface ServiceAccountKey {
  privateKeyPem: string;
  publicKey: KeyObject;
  privateKeyId: string;
  clientId: string;
}

const generateRsa = promisify(generateKeyPair);

export async function generateServiceAccountKey(): Promise<ServiceAccountKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey,
    privateKeyId: randomBytes(20).toString('hex'),
    clientId: `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`,
  };
}

/** The key file for `key`; only `token_uri` points at the emulator, the other URLs keep Google's values. */
export function serviceAccountJson(key: ServiceAccountKey, projectId: string, tokenUri: string): ServiceAccount {
  const clientEmail = `firebase-adminsdk-emu@${projectId}.iam.gserviceaccount.com`;
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: key.privateKeyId,
    private_key: key.privateKeyPem,
    client_email: clientEmail,
    client_id: key.clientId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
}
