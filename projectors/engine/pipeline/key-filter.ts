/**
 * A Bloom filter over document keys: `mightHold(key)` is false only for keys never added, so a
 * writer that has added every key it ever wrote knows, without a round trip, that a key it
 * misses in its cache is absent from the store. False positives only cost the load a writer
 * would have done anyway, so the filter's size bounds memory, never correctness: 2^24 bits
 * (2 MiB) and 7 probes give about 0.05% false positives at one million keys and 6% at three.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(
    log2Bits = 24,
    private readonly probes = 7,
  ) {
    this.bits = new Uint32Array(2 ** (log2Bits - 5));
    this.mask = 2 ** log2Bits - 1;
  }

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < this.probes; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  mightHold(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < this.probes; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * Two independent 32-bit hashes of the key's UTF-16 code units (FNV-1a, and a murmur3-style
 * mix), combined by the probes as h1 + i·h2 (Kirsch and Mitzenmacher): as good as k hashes.
 */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  // An odd step visits distinct bits for every probe.
  return [a >>> 0, (b ^ (b >>> 16)) | 1];
}
