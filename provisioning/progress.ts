// A progress bar on stderr for bulk work, drawn only when stderr is a terminal (never in logs, pipes or --json
// consumers' captures) and redrawn at most every 100 ms so it costs nothing on 10,000 rows.
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return { tick() {}, done() {} };
  let n = 0;
  let last = 0;
  const draw = () => {
    const width = 30;
    const filled = Math.round((n / total) * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total}`);
  };
  return {
    tick(k = 1) {
      n += k;
      const now = Date.now();
      if (now - last >= 100 || n >= total) {
        last = now;
        draw();
      }
    },
    done() {
      n = Math.min(n, total);
      draw();
      stream.write('\n');
    },
  };
}
