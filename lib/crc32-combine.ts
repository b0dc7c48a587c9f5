/**
 * CRC-32 (the gzip one) of `a` followed by `b`, from the CRC of each and the length of `b`: zlib's
 * crc32_combine (x^(8·lengthB) mod P, times crcA, plus crcB), which Node does not export. A gzip member
 * spliced from pieces deflated apart (bridge/expose/spliced-gzip.ts) needs the CRC of its whole text
 * without reading again the pieces it kept.
 */
const POLY = 0xedb88320;

/** a·b modulo P, both reflected (bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo P, k = 0..31. */
const X2N: number[] = [];
for (let k = 0, p = 1 << 30; k < 32; k += 1) {
  X2N.push(p >>> 0);
  p = multiplyModP(p, p);
}

/** x^(8·bytes) modulo P. */
function shiftFor(bytes: number): number {
  let p = 0x80000000;
  // bytes·8 = bytes·2^3: start at the table's third power.
  for (let n = bytes, k = 3; n > 0; n = Math.floor(n / 2), k += 1) if (n % 2 === 1) p = multiplyModP(X2N[k & 31]!, p);
  return p;
}

export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(shiftFor(lengthB), crcA) ^ crcB) >>> 0;
}
