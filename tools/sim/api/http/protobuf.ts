/**
 * Just enough of Kubernetes' protobuf encoding to read the bodies kubectl's typed generators send
 * (`kubectl create namespace`): the `k8s\0` envelope (runtime.Unknown) around a v1 Namespace. Other kinds are
 * refused with a 415 that says so. Decoding only; answers are JSON (kubectl accepts both).
 */
import { ApiError, type KubeObject } from '../types.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = bigint | Buffer;

/** Reads one message into its fields by number: varints as bigint, length-delimited as Buffer. */
function fields(buf: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const byte = buf[i++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let value: Field;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      value = buf.subarray(i, i + length);
      i += length;
    } else if (wire === 1 || wire === 5) {
      value = buf.subarray(i, i + (wire === 1 ? 8 : 4));
      i += wire === 1 ? 8 : 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (i > buf.length) throw new Error('truncated message');
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const text = (f: Field | undefined) => (f instanceof Buffer ? f.toString('utf8') : '');
const strings = (fs: Field[] | undefined) => (fs ?? []).map(text);

function stringMap(entries: Field[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const f = fields(entry as Buffer);
    map[text(f.get(1)?.[0])] = text(f.get(2)?.[0]);
  }
  return map;
}

/** The ObjectMeta fields a client sets (the server sets the rest). */
function objectMeta(buf: Buffer): KubeObject['metadata'] {
  const f = fields(buf);
  const meta: KubeObject['metadata'] = { name: text(f.get(1)?.[0]) };
  const generateName = text(f.get(2)?.[0]);
  if (generateName) meta.generateName = generateName;
  const namespace = text(f.get(3)?.[0]);
  if (namespace) meta.namespace = namespace;
  const labels = stringMap(f.get(11));
  if (labels) meta.labels = labels;
  const annotations = stringMap(f.get(12));
  if (annotations) meta.annotations = annotations;
  const owners = (f.get(13) ?? []).map((o) => {
    const r = fields(o as Buffer);
    return {
      apiVersion: text(r.get(5)?.[0]),
      kind: text(r.get(1)?.[0]),
      name: text(r.get(3)?.[0]),
      uid: text(r.get(4)?.[0]),
      ...(r.has(6) ? { controller: r.get(6)![0] === 1n } : {}),
      ...(r.has(7) ? { blockOwnerDeletion: r.get(7)![0] === 1n } : {}),
    };
  });
  if (owners.length > 0) meta.ownerReferences = owners;
  const finalizers = strings(f.get(14));
  if (finalizers.length > 0) meta.finalizers = finalizers;
  return meta;
}

function namespace(raw: Buffer, apiVersion: string): KubeObject {
  const f = fields(raw);
  const object: KubeObject = {
    apiVersion,
    kind: 'Namespace',
    metadata: f.has(1) ? objectMeta(f.get(1)![0] as Buffer) : { name: '' },
  };
  const finalizers = f.has(2) ? strings(fields(f.get(2)![0] as Buffer).get(1)) : [];
  if (finalizers.length > 0) object.spec = { finalizers };
  return object;
}

/** Decodes a protobuf request body; only a v1 Namespace is understood. */
export function decodeProtobuf(body: Buffer): KubeObject {
  if (!body.subarray(0, 4).equals(MAGIC)) {
    throw new ApiError(400, 'BadRequest', 'the body of the request is not a Kubernetes protobuf message');
  }
  let envelope: Map<number, Field[]>;
  let typeMeta: Map<number, Field[]>;
  try {
    envelope = fields(body.subarray(4));
    typeMeta = fields((envelope.get(1)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${String(err)}`);
  }
  const apiVersion = text(typeMeta.get(1)?.[0]);
  const kind = text(typeMeta.get(2)?.[0]);
  if (apiVersion !== 'v1' || kind !== 'Namespace') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the simulated API server decodes protobuf only for v1 Namespace, not ${apiVersion} ${kind}: send application/json`,
    );
  }
  try {
    return namespace((envelope.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0), apiVersion);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${String(err)}`);
  }
}
