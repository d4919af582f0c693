// The composition root for hall hardware: picks the driver for each configured device. Drivers are imported only
// when a hall has that device, so a box without a camera never loads the VISCA code.
import type { DeviceFactory } from './agent.js';
import { DiemcauError } from './errors.js';

export const createDevice: DeviceFactory = async (id) => {
  throw new DiemcauError('internal', `device ${id}: no driver in this build yet`);
};
