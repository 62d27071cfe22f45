// Before a job's first collective that depends on its settings, every rank checks that all
// ranks resolved the same run: ranks that read different configuration files or were given
// different options would otherwise hang in mismatched collectives or corrupt memory.

import Collectives

/// The start-up agreement check.
public enum RankAgreement {
  /// Compares a 64-bit FNV-1a hash of `description` (for example the resolved configuration as
  /// sorted JSON) over `group`; throws on every rank, naming the ranks that differ from rank 0,
  /// when they do not all agree. Collective: one all-gather of one value.
  public static func require(_ description: String, agreedBy group: any Collective, what: String) throws {
    guard group.size > 1 else { return }
    let hashes = try group.allGather([Int64(bitPattern: fnv1a(description))])
    let differing = hashes.indices.filter { hashes[$0] != hashes[0] }
    guard differing.isEmpty else {
      throw TrainingError(
        "rank(s) \(differing.map(String.init).joined(separator: ", ")) resolved a different \(what) than rank 0 (the ranks were given different options or configuration files); every rank must run the same job")
    }
  }

  /// FNV-1a, 64 bits, of the text's UTF-8 bytes.
  static func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }
}
