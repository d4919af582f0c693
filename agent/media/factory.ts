// The composition root for the media path: loaded only when config.media.enabled, so a box that only registers
// never loads the media controller.
import type { MediaFactory } from '../agent.js';

export const createMedia: MediaFactory = async (cfg, log, box) => {
  const { createMediaPath } = await import('./controller.js');
  return createMediaPath(cfg, log, { display: box });
};
