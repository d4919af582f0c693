// The composition root for hall hardware: picks the driver for each configured device. Each driver is imported only
// when the hall has that device, so a box without a camera never loads the VISCA code. Real or simulated is the
// device config's `simulate` flag; the same driver code runs either way.
import type { DeviceFactory } from './agent.js';
import type { CameraConfig } from '../drivers/camera/config.js';
import type { DisplayConfig } from '../drivers/display/config.js';
import type { PanelConfig } from '../drivers/gpio/config.js';

export const createDevice: DeviceFactory = async (id, cfg, log) => {
  switch (id) {
    case 'camera': {
      const { createCameraDevice } = await import('../drivers/camera/device.js');
      return createCameraDevice(cfg as CameraConfig, log);
    }
    case 'display': {
      const { createDisplayDevice } = await import('../drivers/display/device.js');
      return createDisplayDevice(cfg as DisplayConfig, log);
    }
    case 'panel': {
      const { createPanelDevice } = await import('../drivers/gpio/device.js');
      return createPanelDevice(cfg as PanelConfig, log);
    }
  }
};
