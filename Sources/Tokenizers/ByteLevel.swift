// GPT-2's byte-to-unicode mapping: every byte becomes a printable character, so BPE works on
// strings while covering arbitrary bytes.

/// The reversible byte ↔ character table of GPT-2's byte-level BPE.
///
/// Printable bytes ('!'…'~', '¡'…'¬', '®'…'ÿ') map to themselves; the other 68 bytes map, in
/// byte order, to U+0100, U+0101, … (so the space 0x20 becomes 'Ġ', U+0120).
public enum ByteLevel {
  /// byte → character.
  public static let byteToCharacter: [Character] = {
    var table = [Character](repeating: " ", count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
      if printable {
        table[byte] = Character(Unicode.Scalar(UInt32(byte))!)
      } else {
        table[byte] = Character(Unicode.Scalar(next)!)
        next += 1
      }
    }
    return table
  }()

  /// character → byte (inverse of `byteToCharacter`).
  public static let characterToByte: [Character: UInt8] = {
    var table: [Character: UInt8] = [:]
    for (byte, character) in byteToCharacter.enumerated() { table[character] = UInt8(byte) }
    return table
  }()

  /// The mapped string for some UTF-8 bytes.
  public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    var result = ""
    for byte in bytes { result.append(byteToCharacter[Int(byte)]) }
    return result
  }

  /// The bytes of a mapped string, or nil if it holds a character outside the table.
  public static func decode(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    for character in text {
      guard let byte = characterToByte[character] else { return nil }
      bytes.append(byte)
    }
    return bytes
  }
}
