// The synthetic room (agent/media/audio-room.ts) stands in for sound in the air: the loudspeaker's block reaches
// the mic one block later, whatever else the machine is doing. It runs in the test process, block by block as the
// pipeline plays, and the pipeline stamps each mic block when it arrives: on a machine busy with other work (a CPU
// hog beside the suite) a late room shifts the echo against its reference by tens of ms, and the canceller under
// test is then measured against a room that moves. These tests raise their own priority, and that of the pipeline
// they start, above ordinary processes (the audio is light work): they measure the canceller, not the scheduler.
import { setPriority } from 'node:os';

/** Nice -10 for this process and what it starts from now on; without the right to, a note and normal priority. */
export function raiseRealTimePriority(): void {
  try {
    setPriority(-10);
  } catch (err) {
    console.error(`# audio tests at normal priority (${(err as Error).message}): a busy machine can move the synthetic room`);
  }
}
