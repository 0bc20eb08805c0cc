import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain.error';
import { OipDatatype } from '../model-registry/datatypes';
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
});
