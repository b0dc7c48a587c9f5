/** One series of a remote-write request: labels sorted by name (`__name__` first), samples in time order. */
export interface TimeSeries {
  readonly labels: ReadonlyArray<readonly [name: string, value: string]>;
  readonly samples: ReadonlyArray<{ readonly value: number; readonly timestampMs: number }>;
}

/**
 * The Prometheus remote-write 1.0 `WriteRequest` in protobuf wire format. Only three tiny messages
 * are used (`TimeSeries{labels=1, samples=2}`, `Label{name=1, value=2}`, `Sample{value=1 double,
 * timestamp=2 int64}` under `WriteRequest{timeseries=1}`), so they are encoded here rather than
 * through a protobuf runtime and generated code.
 */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const out = new ProtoWriter();
  for (const s of series) {
    const ts = new ProtoWriter();
    for (const [name, value] of s.labels) {
      const label = new ProtoWriter();
      label.string(1, name);
      label.string(2, value);
      ts.message(1, label);
    }
    for (const sample of s.samples) {
      const m = new ProtoWriter();
      m.double(1, sample.value);
      m.uint(2, sample.timestampMs);
      ts.message(2, m);
    }
    out.message(1, ts);
  }
  return out.finish();
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

class ProtoWriter {
  private readonly parts: Buffer[] = [];
  private length = 0;

  string(field: number, value: string): void {
    this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, message: ProtoWriter): void {
    this.bytes(field, message.finish());
  }

  double(field: number, value: number): void {
    this.varint((field << 3) | WIRE_FIXED64);
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(value);
    this.push(b);
  }

  /** A non-negative integer (timestamps in ms exceed 32 bits, so no bit operations). */
  uint(field: number, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Not a non-negative integer: ${value}`);
    this.varint((field << 3) | WIRE_VARINT);
    this.varint(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  private bytes(field: number, value: Buffer): void {
    this.varint((field << 3) | WIRE_BYTES);
    this.varint(value.length);
    this.push(value);
  }

  private varint(value: number): void {
    const b: number[] = [];
    let v = value;
    while (v >= 0x80) {
      b.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    b.push(v);
    this.push(Buffer.from(b));
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
}
