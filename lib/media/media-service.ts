/**
 * PLACEHOLDER until lib/media lands from wip/media: every call bypasses rtpengine (SDP unchanged).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MediaConfig } from '../config/config-schema.js';
import type { CallMedia, MediaService } from './media-contract.js';

const bypass: CallMedia = {
  mode: 'bypass',
  offer: async (sdp) => sdp,
  answer: async (sdp) => sdp,
  reoffer: async (_from, sdp) => sdp,
  reanswer: async (_from, sdp) => sdp,
  delete: async () => undefined,
};

export async function createMediaService(_config: MediaConfig, _opts: { registry: Registry; logger: Logger }): Promise<MediaService> {
  return { forCall: () => bypass, activeSessions: 0, close: async () => undefined };
}
