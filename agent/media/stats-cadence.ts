// How often the worker reads getStats. wrtc's getStats leaks native memory on every call (about 1 MB a minute at
// one call a second; node-webrtc issue 425; measured in docs/media.md). While the hall is steady (joined, seen and
// heard, no loss, at the top of its ladder) the stats are read every `steadyEvery` ticks; anything else reads them
// every tick. ICE events, not stats, start a recovery, so a cut link is handled as fast either way.
export class StatsCadence {
  private ticks = 0;
  constructor(private readonly steadyEvery = 5) {}

  /** Whether this tick reads the stats. */
  due(steady: boolean): boolean {
    return this.ticks++ % (steady ? this.steadyEvery : 1) === 0;
  }
}
