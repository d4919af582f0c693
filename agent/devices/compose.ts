// The composition root for hall hardware: picks the driver for each configured device. Each driver is imported only
// when the hall has that device, so a box without a camera never loads the VISCA code. Real or simulated is the
// device config's `simulate` flag; the same driver code runs either way.
import type { DeviceFactory } from '../agent.js';
import type { CameraConfig } from '../../core/config/camera.js';
import type { DisplayConfig } from '../../core/config/display.js';
import type { PanelConfig } from '../../core/config/panel.js';

export const createDevice: DeviceFactory = async (id, cfg, log) => {
  switch (id) {
    case 'camera': {
      const { createCameraDevice } = await import('./camera.js');
      return createCameraDevice(cfg as CameraConfig, log);
    }
    case 'display': {
      const { createDisplayDevice } = await import('./display.js');
      return createDisplayDevice(cfg as DisplayConfig, log);
    }
    case 'panel': {
      const { createPanelDevice } = await import('./panel.js');
      return createPanelDevice(cfg as PanelConfig, log);
    }
  }
};
