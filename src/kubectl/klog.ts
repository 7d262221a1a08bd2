// A klog line as kubectl writes warnings to stderr: `W1126 21:30:47.146838   20719 prune.go:71] message`.
import type { KubectlIO } from './session.ts';

export function klogLine(severity: 'W' | 'E' | 'I', location: string, message: string, now = new Date(), pid = process.pid): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const micros = String(now.getMilliseconds() * 1000).padStart(6, '0');
  const stamp = `${p2(now.getMonth() + 1)}${p2(now.getDate())} ${p2(now.getHours())}:${p2(now.getMinutes())}:${p2(now.getSeconds())}.${micros}`;
  return `${severity}${stamp} ${String(pid).padStart(7)} ${location}] ${message}\n`;
}

export function klogWarning(io: KubectlIO, location: string, message: string): void {
  io.stderr(klogLine('W', location, message));
}
