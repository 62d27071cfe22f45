// Reading and writing Hugging Face `tokenizer.json` files for byte-level BPE models.

import AtomicFiles
import Foundation

extension BPETokenizer {
  /// Loads a `tokenizer.json` with a BPE model, a ByteLevel pre-tokenizer (regex on) and an
  /// optional ByteLevel decoder, as GPT-2-family tokenizers are saved by `tokenizers`.
  /// - Throws: `TokenizerError` naming the file and field for anything else.
  public static func load(contentsOf path: String) throws -> BPETokenizer {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw TokenizerError(path: path, "cannot read the file (\(error.localizedDescription))")
    }
    return try load(json: data, path: path)
  }

  /// Vocabulary ids and special-token ids must cover 0..<N once each: no id twice in the
  /// vocabulary, no special token on another token's id, no unused id (an id of 99999 in a
  /// small vocabulary would make a model of 100,000 rows).
  static func requireDenseUniqueIDs(
    _ vocabulary: [String: Int32], specials: [[String: Any]], fail: (String, String) -> TokenizerError
  ) throws {
    var owner: [Int32: String] = [:]
    for (token, id) in vocabulary.sorted(by: { $0.value < $1.value }) {
      if let other = owner[id] { throw fail("model.vocab", "id \(id) is given to both \"\(other)\" and \"\(token)\"") }
      owner[id] = token
    }
    for entry in specials {
      guard let id = (entry["id"] as? NSNumber)?.int32Value, let content = entry["content"] as? String else { continue }
      if let other = owner[id], other != content {
        throw fail("added_tokens", "special token \"\(content)\" has id \(id), already \"\(other)\"'s")
      }
      owner[id] = content
    }
    let count = Int32(owner.count)
    if let outside = owner.keys.first(where: { $0 < 0 || $0 >= count }) {
      let unused = (0..<count).first { owner[$0] == nil } ?? 0
      throw fail("model.vocab", "ids must be 0..<\(count) with none unused, but id \(outside) is used and id \(unused) is not")
    }
  }

  /// Parses `tokenizer.json` content; `path` only labels errors.
  public static func load(json data: Data, path: String = "tokenizer.json") throws -> BPETokenizer {
    func fail(_ field: String, _ message: String) -> TokenizerError {
      TokenizerError(path: path, field: field, message)
    }
    guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw fail("(root)", "not a JSON object")
    }
    guard let model = root["model"] as? [String: Any] else { throw fail("model", "missing") }
    let modelType = model["type"] as? String ?? "BPE"
    guard modelType == "BPE" else {
      throw fail("model.type", "unsupported model type \"\(modelType)\" (only BPE)")
    }
    for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let value = model[field] as? String, !value.isEmpty {
        throw fail("model.\(field)", "unsupported (\"\(value)\")")
      }
    }
    if model["byte_fallback"] as? Bool == true { throw fail("model.byte_fallback", "unsupported") }
    if let dropout = model["dropout"] as? Double, dropout > 0 { throw fail("model.dropout", "unsupported (\(dropout))") }
    if let normalizer = root["normalizer"], !(normalizer is NSNull) {
      throw fail("normalizer", "unsupported (byte-level BPE expects none)")
    }
    var addPrefixSpace = false
    guard let pre = root["pre_tokenizer"] as? [String: Any], pre["type"] as? String == "ByteLevel" else {
      throw fail("pre_tokenizer", "unsupported: expected a ByteLevel pre-tokenizer")
    }
    addPrefixSpace = pre["add_prefix_space"] as? Bool ?? false
    if pre["use_regex"] as? Bool == false { throw fail("pre_tokenizer.use_regex", "unsupported (false)") }
    if let decoder = root["decoder"] as? [String: Any], let type = decoder["type"] as? String, type != "ByteLevel" {
      throw fail("decoder.type", "unsupported decoder \"\(type)\" (expected ByteLevel)")
    }
    guard let vocabJSON = model["vocab"] as? [String: Any] else { throw fail("model.vocab", "missing") }
    var vocabulary: [String: Int32] = [:]
    for (token, value) in vocabJSON {
      guard let id = (value as? NSNumber)?.int32Value else { throw fail("model.vocab.\(token)", "id is not a number") }
      vocabulary[token] = id
    }
    try requireDenseUniqueIDs(vocabulary, specials: root["added_tokens"] as? [[String: Any]] ?? [], fail: fail)
    for byte in 0...255 {
      let symbol = String(ByteLevel.byteToCharacter[byte])
      guard vocabulary[symbol] != nil else {
        throw fail("model.vocab", String(format: "lacks the byte-level symbol for byte 0x%02X (\"%@\"): a byte-level BPE needs all 256", byte, symbol))
      }
    }
    guard let mergeList = model["merges"] as? [Any] else {
      throw fail("model.merges", model["merges"] == nil ? "missing (a BPE tokenizer needs its merge list; [] for none)" : "must be a list")
    }
    var merges: [(String, String)] = []
    for (index, entry) in mergeList.enumerated() {
      if let pair = entry as? [String], pair.count == 2 {
        merges.append((pair[0], pair[1]))
      } else if let text = entry as? String, let space = text.firstIndex(of: " ") {
        merges.append((String(text[..<space]), String(text[text.index(after: space)...])))
      } else {
        throw fail("model.merges[\(index)]", "expected \"a b\" or [\"a\", \"b\"]")
      }
    }
    var specials: [SpecialToken] = []
    for (index, entry) in (root["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
      guard let id = (entry["id"] as? NSNumber)?.int32Value, let content = entry["content"] as? String else {
        throw fail("added_tokens[\(index)]", "needs id and content")
      }
      specials.append(SpecialToken(id: id, content: content))
    }
    do {
      return try BPETokenizer(
        vocabulary: vocabulary, merges: merges, specialTokens: specials,
        addPrefixSpace: addPrefixSpace, ignoreMerges: model["ignore_merges"] as? Bool ?? false)
    } catch var error as TokenizerError {
      error.path = path
      throw error
    }
  }

  /// The `tokenizer.json` text for this tokenizer (deterministic: vocabulary in id order).
  public func jsonText() -> String {
    var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n"
    out += "  \"added_tokens\": ["
    out += specialTokens.sorted { $0.id < $1.id }.map {
      "\n    {\"id\": \($0.id), \"content\": \(JSONString.quote($0.content)), \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
    }.joined(separator: ",")
    out += specialTokens.isEmpty ? "],\n" : "\n  ],\n"
    out += "  \"normalizer\": null,\n"
    let byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(addPrefixSpace), \"trim_offsets\": true, \"use_regex\": true}"
    out += "  \"pre_tokenizer\": \(byteLevel),\n  \"post_processor\": null,\n  \"decoder\": \(byteLevel),\n"
    out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
    out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
    out += "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": \(ignoreMerges),\n"
    out += "    \"vocab\": {"
    out += vocabulary.sorted { $0.value < $1.value }.map { "\n      \(JSONString.quote($0.key)): \($0.value)" }.joined(separator: ",")
    out += "\n    },\n    \"merges\": ["
    out += merges.map { "\n      [\(JSONString.quote($0.0)), \(JSONString.quote($0.1))]" }.joined(separator: ",")
    out += "\n    ]\n  }\n}\n"
    return out
  }

  /// Writes `jsonText()` to `path` (through a temporary file and a rename).
  public func save(to path: String) throws {
    do { try AtomicFile.write(jsonText(), to: path) } catch let error as AtomicFileError {
      throw TokenizerError(path: path, "cannot write the file (\(error.reason))")
    }
  }

  /// A 64-bit FNV-1a hash of `jsonText()`: equal for tokenizers that encode identically,
  /// recorded in token caches so they refuse to be read with another tokenizer.
  public var fingerprint: String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in jsonText().utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16, uppercase: false)
  }
}

/// JSON string quoting (RFC 8259): quotes, backslashes and control characters escaped.
enum JSONString {
  static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
            + String(scalar.value, radix: 16)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
