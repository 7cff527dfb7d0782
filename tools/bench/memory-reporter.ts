/**
 * Preloaded into a measured process (`node --import <this file> dist/chainmedic.js operator ...`) so the benchmark can
 * read its V8 heap without changing the program: every 200 ms the current and the highest heap use are written
 * to the file named by CHAINMEDIC_BENCH_MEMORY_FILE. The timer is unref'd: it never keeps the process alive.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

export interface MemoryReport {
  atMs: number;
  heapUsedBytes: number;
  heapUsedMaxBytes: number;
  heapTotalBytes: number;
}

export const MEMORY_FILE_ENV = 'CHAINMEDIC_BENCH_MEMORY_FILE';

const file = process.env[MEMORY_FILE_ENV];
if (file) {
  let max = 0;
  const sample = () => {
    const heap = getHeapStatistics();
    max = Math.max(max, heap.used_heap_size);
    const report: MemoryReport = {
      atMs: Date.now(),
      heapUsedBytes: heap.used_heap_size,
      heapUsedMaxBytes: max,
      heapTotalBytes: heap.total_heap_size,
    };
    try {
      // Write and rename, so a reader never sees a half-written file.
      writeFileSync(`${file}.tmp`, JSON.stringify(report));
      renameSync(`${file}.tmp`, file);
    } catch {
      // The harness may have removed its directory while we exit.
    }
  };
  sample();
  setInterval(sample, 200).unref();
}
