/** Pure trimming of a container log as the pods/log subresource options ask. */
export interface LogOptions {
  tailLines?: number;
  limitBytes?: number;
}

export function trimLog(log: string, options: LogOptions): string {
  let text = log;
  if (options.tailLines !== undefined && options.tailLines >= 0) {
    const lines = text.split('\n');
    const trailingNewline = text.endsWith('\n');
    if (trailingNewline) lines.pop();
    const kept = options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
    text = kept.join('\n') + (trailingNewline && kept.length > 0 ? '\n' : '');
  }
  if (options.limitBytes !== undefined && options.limitBytes > 0) {
    const buf = Buffer.from(text, 'utf8');
    if (buf.length > options.limitBytes) text = buf.subarray(0, options.limitBytes).toString('utf8');
  }
  return text;
}
