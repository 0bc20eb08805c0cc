import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** The browser's half of a sign-in under way: the `mg_sso_login` cookie. */
export const LOGIN_COOKIE = 'mg_sso_login';
export const LOGIN_COOKIE_PATH = '/auth/sso';
export const LOGIN_TTL_SECONDS = 600;

function keyOf(browserSecret: string): Buffer {
  return createHmac('sha256', browserSecret).update('modelgate pkce verifier key').digest();
}

/** The PKCE verifier, encrypted so that only with the browser's cookie can it be read (AES-256-GCM). */
export function encryptVerifier(verifier: string, browserSecret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(browserSecret), iv);
  const sealed = Buffer.concat([cipher.update(verifier, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The verifier, or undefined when `browserSecret` is not the one it was sealed with. */
export function decryptVerifier(encrypted: string, browserSecret: string): string | undefined {
  const bytes = Buffer.from(encrypted, 'base64url');
  if (bytes.length < 29) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(browserSecret), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
