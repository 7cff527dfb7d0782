import { decodeProtobuf } from '../../../../tools/sim/api/http/protobuf.js';

// The body kubectl v1.34 sends for `kubectl create namespace foo` (from `kubectl -v=9`).
const CREATE_NAMESPACE_FOO = Buffer.from(
  '6b3873000a0f0a0276311209' +
    '4e616d657370616365121b0a130a03666f6f12001a00220' +
    '02a0032003800420012001a020a001a002200',
  'hex',
);

/** Encodes a protobuf message from [field, value] pairs: strings and nested messages length-delimited. */
function message(fields: Array<[number, string | Buffer | number]>): Buffer {
  const parts: Buffer[] = [];
  const varint = (n: number) => {
    const bytes: number[] = [];
    do {
      bytes.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    return Buffer.from(bytes);
  };
  for (const [field, value] of fields) {
    if (typeof value === 'number') parts.push(varint(field << 3), varint(value));
    else {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      parts.push(varint((field << 3) | 2), varint(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from('k8s\0'),
    message([
      [
        1,
        message([
          [1, apiVersion],
          [2, kind],
        ]),
      ],
      [2, raw],
    ]),
  ]);

describe('protobuf request bodies', () => {
  it('decodes the namespace kubectl create namespace sends', () => {
    expect(decodeProtobuf(CREATE_NAMESPACE_FOO)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'foo' },
    });
  });

  it('reads labels, annotations and spec.finalizers', () => {
    const meta = message([
      [1, 'team-a'],
      [
        11,
        message([
          [1, 'env'],
          [2, 'test'],
        ]),
      ],
      [
        12,
        message([
          [1, 'note'],
          [2, 'x'],
        ]),
      ],
    ]);
    const spec = message([[1, 'kubernetes']]);
    expect(
      decodeProtobuf(
        envelope(
          'v1',
          'Namespace',
          message([
            [1, meta],
            [2, spec],
          ]),
        ),
      ),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { env: 'test' }, annotations: { note: 'x' } },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  it('refuses other kinds with 415 and says what to send', () => {
    expect(() => decodeProtobuf(envelope('v1', 'Pod', Buffer.alloc(0)))).toThrow(
      /decodes protobuf only for v1 Namespace, not v1 Pod: send application\/json/,
    );
    expect(() => decodeProtobuf(Buffer.from('{"kind":"Namespace"}'))).toThrow(/not a Kubernetes protobuf/);
  });
});
