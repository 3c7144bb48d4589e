// Schemas for the fields that several frames share. Every schema carries its own message, so a
// rejected frame says exactly what the field must be.
import * as z from 'zod';
import { MAX_URL_LENGTH } from './limits.ts';

export const MEMBER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const requestIdSchema = z.int({ error: 'must be an integer between -(2^53-1) and 2^53-1' });

export const memberIdSchema = z
  .string({ error: 'must be a string' })
  .regex(MEMBER_ID_PATTERN, 'must be a member id: 1 to 32 of a-z, 0-9 and "-", not starting with "-"');

/** A member's base URL: ws:// or wss://, a host, and no credentials, query or fragment. */
export function isMemberUrl(text: string): boolean {
  if (!/^wss?:\/\//i.test(text) || !URL.canParse(text)) return false;
  const url = new URL(text);
  return (
    (url.protocol === 'ws:' || url.protocol === 'wss:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === ''
  );
}

export const memberUrlSchema = z
  .string({ error: 'must be a string' })
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .refine(isMemberUrl, 'must be a ws:// or wss:// URL with a host and no credentials, query or fragment');

/** Log indexes, terms, byte counts, durations. */
export const countSchema = z.int({ error: 'must be a non-negative integer' }).min(0, 'must be a non-negative integer');

export const durationMsSchema = z.number({ error: 'must be a number of milliseconds' }).min(0, 'must not be negative');

export const memberSchema = z.object({ id: memberIdSchema, url: memberUrlSchema });
