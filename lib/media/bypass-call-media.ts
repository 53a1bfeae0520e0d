/**
 * CallMedia for a call whose media flows directly between the parties: every SDP passes unchanged and there is
 * nothing to delete.
 */
import type { CallMedia } from './media-contract.js';

export function createBypassCallMedia(): CallMedia {
  return {
    mode: 'bypass',
    offer: async (sdp) => sdp,
    answer: async (sdp) => sdp,
    reoffer: async (_from, sdp) => sdp,
    reanswer: async (_from, sdp) => sdp,
    delete: async () => undefined,
  };
}
