import cliProgress from 'cli-progress';

/** Progress of one detector's pass over the data: a bar on a terminal, a plain line every 10% otherwise. */
export interface Progress {
  start(label: string, total: number, alreadyDone: number): void;
  tick(done: number, errors: number): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements Progress {
  private bar?: cliProgress.SingleBar;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(label: string, total: number, alreadyDone: number) {
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream, format: `${label.padEnd(28)} {bar} {value}/{total} | errors {errors} | {eta_formatted} left`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, alreadyDone, { errors: 0 });
  }
  tick(done: number, errors: number) {
    this.bar?.update(done, { errors });
  }
  stop() {
    this.bar?.stop();
  }
}

class LineProgress implements Progress {
  private label = '';
  private total = 0;
  private nextReport = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(label: string, total: number, alreadyDone: number) {
    Object.assign(this, { label, total, nextReport: alreadyDone + Math.max(1, Math.ceil(total / 10)) });
    this.stream.write(`${label}: ${alreadyDone}/${total}\n`);
  }
  tick(done: number, errors: number) {
    if (done < this.nextReport && done < this.total) return;
    this.nextReport = done + Math.max(1, Math.ceil(this.total / 10));
    this.stream.write(`${this.label}: ${done}/${this.total} (${errors} errors)\n`);
  }
  stop() {}
}

/** For tests and library use. */
export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };
