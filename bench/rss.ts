// Peak RSS of a child process, as the benchmark's CLI runs measure it.
import { readFileSync } from 'node:fs';

/**
 * Samples the peak RSS of process `pid` from /proc every 10 ms: VmHWM, the kernel's own
 * high-water mark, so a spike between samples counts too. `stop()` ends the sampling and
 * returns the peak in KiB (0 if the process was never seen).
 */
export function samplePeakRss(pid: number | undefined): { stop: () => number } {
  let peakKb = 0;
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the child has exited
    }
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return peakKb;
    },
  };
}
