/**
 * Digest hash arithmetic (RFC 7616 3.4.1-3.4.3, RFC 8760 for SIP): HA1, the request-digest for qop=auth and
 * for the RFC 2069 form without qop, and a constant-time comparison of the results. Hex is lower-case.
 */
import { hash, timingSafeEqual } from 'node:crypto';

/** The algorithms this gateway offers; the `-sess` variants and SHA-512-256 are not supported. */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

const NODE_HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** Hex length of each algorithm's output (for validating stored HA1 values). */
export const HEX_LENGTH: Record<DigestAlgorithm, number> = { MD5: 32, 'SHA-256': 64 };

/** The algorithm token as it appears in headers and config; case-insensitive (RFC 7616 3.3 tokens). */
export function parseAlgorithm(token: string): DigestAlgorithm | undefined {
  const upper = token.toUpperCase();
  return DIGEST_ALGORITHMS.find((a) => a === upper);
}

/** H(data) of RFC 7616 3.4, as lower-case hex. Strings are hashed as UTF-8 (RFC 7616 4, charset=UTF-8). */
export function hashHex(algorithm: DigestAlgorithm, data: string): string {
  // One-shot hash: no Hash object per call (three hashes per digest check).
  return hash(NODE_HASH[algorithm], data, 'hex');
}

/** HA1 = H(username ":" realm ":" password) (RFC 7616 3.4.2, non-session algorithms). */
export function ha1(algorithm: DigestAlgorithm, user: string, realm: string, password: string): string {
  return hashHex(algorithm, `${user}:${realm}:${password}`);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** With qop: nc (8 hex digits as sent), cnonce and qop ('auth'). Without qop all three are left out. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/**
 * The request-digest (the `response` parameter). With qop=auth: H(HA1:nonce:nc:cnonce:qop:HA2) (RFC 7616 3.4.1);
 * without qop: H(HA1:nonce:HA2), the RFC 2069 form RFC 3261 22.4 still requires servers to accept.
 * HA2 = H(method:uri) (RFC 7616 3.4.3, qop=auth).
 */
export function digestResponse(input: DigestResponseInput): string {
  const ha2 = hashHex(input.algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return hashHex(input.algorithm, `${input.ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) throw new Error('digestResponse: qop=auth needs nc and cnonce');
  return hashHex(input.algorithm, `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/**
 * Compares two strings without a data-dependent early exit, so response timing does not reveal how many leading
 * characters of a guess were right. Only the lengths (public: fixed per algorithm) can end it early.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
