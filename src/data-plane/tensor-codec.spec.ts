import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain.error';
import { isNumberArray, parseJsonFast } from '../common/http/json-body';
import { OipDatatype } from '../model-registry/runtime/datatypes';
import { decodeDeclared, decodeNested, flatValues, nestedValues } from './tensor-codec';

const spec = (datatype: OipDatatype, shape = [-1, 2]) => ({ name: 'x', datatype, shape });

describe('tensor codec', () => {
  const cases: [OipDatatype, unknown[][], string][] = [
    ['FP32', [[1.5, -2]], 'float32'],
    ['FP64', [[1e300, -2]], 'float64'],
    ['FP16', [[1.5, -2]], 'float16'],
    ['INT8', [[-128, 127]], 'int8'],
    ['UINT8', [[0, 255]], 'uint8'],
    ['INT16', [[-32768, 32767]], 'int16'],
    ['UINT16', [[0, 65535]], 'uint16'],
    ['INT32', [[-2147483648, 2147483647]], 'int32'],
    ['UINT32', [[0, 4294967295]], 'uint32'],
    ['INT64', [[-9007199254740991, 9007199254740991]], 'int64'],
    ['UINT64', [[0, 9007199254740991]], 'uint64'],
    ['BOOL', [[true, false]], 'bool'],
    ['BYTES', [['a', 'b']], 'string'],
  ];
  for (const [datatype, value, ortType] of cases) {
    it(`should round-trip ${datatype}`, () => {
      const tensor = decodeNested(spec(datatype), value, 100);
      expect(tensor.type).toBe(ortType);
      expect(tensor.dims).toEqual([1, 2]);
      expect(nestedValues(tensor)).toEqual(value);
      expect(decodeDeclared(spec(datatype), datatype, [1, 2], value.flat(), 100).data).toEqual(tensor.data);
    });
  }

  const rejected: [OipDatatype, unknown][] = [
    ['INT8', 128],
    ['UINT8', -1],
    ['UINT32', 1.5],
    ['INT64', 2 ** 60],
    ['FP32', '1'],
    ['FP32', null],
    ['BOOL', 1],
    ['BYTES', 1],
  ];
  for (const [datatype, element] of rejected) {
    it(`should reject ${JSON.stringify(element)} for ${datatype}`, () => {
      expect(() => decodeNested(spec(datatype), [[element, element]], 100)).toThrow(DomainError);
    });
  }

  it('should reject shapes that do not match the signature', () => {
    expect(() => decodeNested(spec('FP32', [-1, 3]), [[1, 2]], 100)).toThrow(
      /expected shape \[-1, 3\].*received \[1, 2\]/,
    );
    expect(() => decodeDeclared(spec('FP32'), 'FP32', [2, 2], [1, 2, 3], 100)).toThrow(/needs 4 values, data has 3/);
    expect(() =>
      decodeNested(
        spec('FP32'),
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        5,
      ),
    ).toThrow(/limit is 5/);
  });

  it('should encode int64 outputs as numbers', () => {
    expect(flatValues(decodeNested(spec('INT64'), [[1, 2]], 10))).toEqual([1, 2]);
  });

  describe('with arrays the JSON body parser read', () => {
    const parsed = (text: string) => parseJsonFast(Buffer.from(`{"x":${text}}`)) as { x: unknown };

    it.each<[OipDatatype, string]>([
      ['FP32', '[[1.5,-2,0.1],[3,4e-3,-0]]'],
      ['FP64', '[[1e300,-2,0.1],[3,4e-3,-0]]'],
      ['FP16', '[[1.5,-2,0.5],[3,4,-0]]'],
      ['INT32', '[[1,-2,3],[4,5,6]]'],
    ])('should decode %s as from any other arrays', (datatype, text) => {
      const { x } = parsed(text);
      expect(isNumberArray((x as unknown[][])[0])).toBe(true);
      const plain = JSON.parse(text) as unknown[][];
      const tensor = decodeNested(spec(datatype, [-1, 3]), x, 100);
      expect(tensor.dims).toEqual([2, 3]);
      expect(tensor.data).toEqual(decodeNested(spec(datatype, [-1, 3]), plain, 100).data);
      const flat = parsed(text.replaceAll('],[', ',').slice(1, -1)).x; // the same numbers, flat (-0 kept)
      expect(decodeDeclared(spec(datatype, [-1, 3]), datatype, [2, 3], flat, 100).data).toEqual(tensor.data);
    });

    it('should still check every element where the type needs it, and every shape', () => {
      expect(() => decodeNested(spec('INT32', [-1, 2]), parsed('[[1,2.5]]').x, 100)).toThrow(DomainError);
      expect(() => decodeNested(spec('FP32', [-1, 2]), parsed('[[1,2],[3]]').x, 100)).toThrow(/ragged/);
      expect(() => decodeNested(spec('FP32', [-1, 2]), parsed('[1,2]').x, 100)).toThrow(/received \[2\]/);
      expect(() => decodeNested(spec('FP32', [-1, 2]), parsed('[[1,"2"]]').x, 100)).toThrow(DomainError);
      expect(() => decodeDeclared(spec('FP32'), 'FP32', [2, 2], parsed('[1,2,3]').x, 100)).toThrow(/data has 3/);
    });
  });
});
