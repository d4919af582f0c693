// The composition root for the media path: loaded only when config.media.enabled.
import type { MediaFactory } from '../agent.js';
import { DiemcauError } from '../errors.js';

export const createMedia: MediaFactory = async () => {
  throw new DiemcauError('internal', 'media: no media path in this build yet');
};
