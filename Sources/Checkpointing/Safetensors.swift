// The safetensors format: an 8-byte little-endian header length, a JSON header describing each
// tensor (dtype, shape, byte offsets), then the raw little-endian tensor data.

import AtomicFiles
import Foundation

/// A float32 tensor read from or written to a safetensors file.
public struct NamedTensor: Sendable {
  public var shape: [Int]
  public var values: [Float]

  public init(shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
    self.shape = shape
    self.values = values
  }
}

/// Reading and writing safetensors files (F32, plus F16/BF16 widened to F32 on read).
public enum Safetensors {
  /// All tensors of a file by name.
  /// - Throws: `CheckpointError` naming the file and tensor for a malformed header or data.
  public static func read(_ path: String) throws -> [String: NamedTensor] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw CheckpointError(path: path, "cannot read (\(error.localizedDescription))")
    }
    guard data.count >= 8 else { throw CheckpointError(path: path, "too short for a safetensors header") }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerLength <= UInt64(data.count - 8) else {
      throw CheckpointError(path: path, "header length \(headerLength) exceeds the file (truncated?)")
    }
    let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
    guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
      throw CheckpointError(path: path, "header is not a JSON object")
    }
    let base = 8 + Int(headerLength)
    var tensors: [String: NamedTensor] = [:]
    for (name, value) in header where name != "__metadata__" {
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
        let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else { throw CheckpointError(path: path, item: name, "malformed header entry") }
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw CheckpointError(path: path, item: name, "shape \(shape) has a negative dimension")
      }
      var count = 1
      for dimension in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw CheckpointError(path: path, item: name, "shape \(shape) has more elements than can be addressed") }
        count = product
      }
      let elementBytes: Int
      switch dtype {
      case "F32": elementBytes = 4
      case "F16", "BF16": elementBytes = 2
      default: throw CheckpointError(path: path, item: name, "unsupported dtype \(dtype)")
      }
      guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= data.count - base else {
        throw CheckpointError(path: path, item: name, "data [\(offsets[0]), \(offsets[1])) lies outside the file's data section (truncated?)")
      }
      let (begin, end) = (base + offsets[0], base + offsets[1])
      // Checked before anything is allocated: the byte count must match the shape exactly.
      let (expectedBytes, overflow) = count.multipliedReportingOverflow(by: elementBytes)
      guard !overflow, end - begin == expectedBytes else {
        throw CheckpointError(path: path, item: name, "\(end - begin) bytes for \(shape) \(dtype) values (\(count) × \(elementBytes) bytes expected)")
      }
      let bytes = data.subdata(in: begin..<end)
      var values = [Float](repeating: 0, count: count)
      switch dtype {
      case "F32":
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
      default:
        bytes.withUnsafeBytes { raw in
          for i in 0..<count {
            let half = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
            values[i] = dtype == "BF16" ? Float(bitPattern: UInt32(half) << 16) : Float(Float16(bitPattern: half))
          }
        }
      }
      tensors[name] = NamedTensor(shape: shape, values: values)
    }
    return tensors
  }

  /// Writes F32 tensors (sorted by name) with optional string metadata, via a temporary file.
  public static func write(_ tensors: [String: NamedTensor], metadata: [String: String] = [:], to path: String) throws {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    let names = tensors.keys.sorted()
    for name in names {
      let size = tensors[name]!.values.count * 4
      header[name] = ["dtype": "F32", "shape": tensors[name]!.shape, "data_offsets": [offset, offset + size]]
      offset += size
    }
    var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    var file = Data()
    var length = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
    file.append(headerBytes)
    for name in names { tensors[name]!.values.withUnsafeBytes { file.append(contentsOf: $0) } }
    do { try AtomicFile.write(file, to: path) } catch let error as AtomicFileError {
      throw CheckpointError(path: path, "cannot write (\(error.reason))")
    }
  }
}
