// Credentials the CLI sends with pull and push: config.json's entry (or helper) for the registry.

import { authKey, encodeRegistryAuth, getCredentials } from '../../../distribution/credentials.ts';

export function registryAuthHeader(domain: string): string {
  let auth: ReturnType<typeof getCredentials>;
  try {
    auth = getCredentials(authKey(domain));
  } catch {
    auth = undefined; // a broken helper: pull anonymously, as the docker CLI does
  }
  return encodeRegistryAuth(auth);
}
