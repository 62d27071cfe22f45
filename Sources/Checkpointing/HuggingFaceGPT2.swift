// Model interchange with Hugging Face transformers: GPT-2-family directories (config.json,
// model.safetensors with Conv1D weights, tokenizer.json) to and from our GPT.

import AtomicFiles
import Foundation
import Model
import Tokenizers

/// Reads and writes GPT-2 model directories as `transformers` saves them.
///
/// Weight layout: transformers' Conv1D stores (in, out), our linear layers (out, in), so
/// `c_attn`, `c_proj` and `c_fc` weights are transposed both ways. The LM head is tied to
/// `wte`. A vocabulary larger than the tokenizer's (padded) keeps its extra rows, which no
/// softmax ever selects.
public enum HuggingFaceGPT2 {
  /// A model read from a directory, with its tokenizer when the directory has one.
  public struct Imported {
    public var model: GPT
    public var tokenizer: BPETokenizer?
  }

  /// Imports `directory`. The vocabulary is the tokenizer's size when a tokenizer.json is
  /// present (rows beyond it become padding), else the config's `vocab_size`.
  /// - Throws: `CheckpointError` naming the file and the missing or misshapen tensor.
  public static func load(directory: String) throws -> Imported {
    let configPath = directory + "/config.json"
    guard let configData = FileManager.default.contents(atPath: configPath),
      let json = (try? JSONSerialization.jsonObject(with: configData)) as? [String: Any]
    else { throw CheckpointError(path: configPath, "missing or not a JSON object") }
    func integer(_ key: String, _ fallback: String? = nil) throws -> Int {
      if let value = json[key] as? Int { return value }
      if let fallback, let value = json[fallback] as? Int { return value }
      throw CheckpointError(path: configPath, item: key, "missing")
    }
    if let type = json["model_type"] as? String, type != "gpt2" {
      throw CheckpointError(path: configPath, item: "model_type", "is \(type); only gpt2 is supported")
    }
    if let activation = json["activation_function"] as? String, activation != "gelu_new" {
      throw CheckpointError(path: configPath, item: "activation_function", "is \(activation); only gelu_new (tanh GELU) is supported")
    }
    if let epsilon = json["layer_norm_epsilon"] as? Double, abs(epsilon - 1e-5) > 1e-12 {
      throw CheckpointError(path: configPath, item: "layer_norm_epsilon", "is \(epsilon); only 1e-5 is supported")
    }
    for flag in ["scale_attn_by_inverse_layer_idx", "add_cross_attention"] where json[flag] as? Bool == true {
      throw CheckpointError(path: configPath, item: flag, "is true; not supported")
    }
    if json["scale_attn_weights"] as? Bool == false {
      throw CheckpointError(path: configPath, item: "scale_attn_weights", "is false; not supported")
    }
    if json["tie_word_embeddings"] as? Bool == false {
      throw CheckpointError(path: configPath, item: "tie_word_embeddings", "is false; only tied heads are supported")
    }
    let rows = try integer("vocab_size")
    let tokenizerPath = directory + "/tokenizer.json"
    let tokenizer = FileManager.default.fileExists(atPath: tokenizerPath)
      ? try BPETokenizer.load(contentsOf: tokenizerPath) : nil
    if let tokenizer, tokenizer.count > rows {
      throw CheckpointError(
        path: tokenizerPath, item: "vocab", "has \(tokenizer.count) ids but the model has only \(rows) embedding rows")
    }
    var config = GPTConfig(
      vocabSize: tokenizer?.count ?? rows, contextLength: try integer("n_positions", "n_ctx"),
      dModel: try integer("n_embd"), nLayer: try integer("n_layer"), nHead: try integer("n_head"))
    config.paddedVocabSize = rows
    if let range = json["initializer_range"] as? Double { config.initStd = Float(range) }
    let model = try GPT(config: config)

    let weightsPath = directory + "/model.safetensors"
    let tensors = try Safetensors.read(weightsPath)
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let found = tensors["transformer." + name] ?? tensors[name] else {
        throw CheckpointError(path: weightsPath, item: "transformer." + name, "missing")
      }
      guard found.shape == shape else {
        throw CheckpointError(path: weightsPath, item: "transformer." + name, "has shape \(found.shape), expected \(shape)")
      }
      return found.values
    }
    let C = config.dModel
    let p = model.parameters
    func copy(_ values: [Float], to target: UnsafeMutablePointer<Float>) {
      target.update(from: values, count: values.count)
    }
    func copyTransposed(_ values: [Float], rows: Int, columns: Int, to target: UnsafeMutablePointer<Float>) {
      // values: (rows, columns) Conv1D (in, out) → target: (columns, rows)
      for r in 0..<rows { for c in 0..<columns { target[c * rows + r] = values[r * columns + c] } }
    }
    copy(try tensor("wte.weight", [rows, C]), to: p.pointer(.tokenEmbedding))
    copy(try tensor("wpe.weight", [config.contextLength, C]), to: p.pointer(.positionEmbedding))
    for l in 0..<config.nLayer {
      let h = "h.\(l)."
      copy(try tensor(h + "ln_1.weight", [C]), to: p.pointer(.ln1Weight, layer: l))
      copy(try tensor(h + "ln_1.bias", [C]), to: p.pointer(.ln1Bias, layer: l))
      copyTransposed(try tensor(h + "attn.c_attn.weight", [C, 3 * C]), rows: C, columns: 3 * C, to: p.pointer(.qkvWeight, layer: l))
      copy(try tensor(h + "attn.c_attn.bias", [3 * C]), to: p.pointer(.qkvBias, layer: l))
      copyTransposed(try tensor(h + "attn.c_proj.weight", [C, C]), rows: C, columns: C, to: p.pointer(.attentionProjectionWeight, layer: l))
      copy(try tensor(h + "attn.c_proj.bias", [C]), to: p.pointer(.attentionProjectionBias, layer: l))
      copy(try tensor(h + "ln_2.weight", [C]), to: p.pointer(.ln2Weight, layer: l))
      copy(try tensor(h + "ln_2.bias", [C]), to: p.pointer(.ln2Bias, layer: l))
      copyTransposed(try tensor(h + "mlp.c_fc.weight", [C, 4 * C]), rows: C, columns: 4 * C, to: p.pointer(.fcWeight, layer: l))
      copy(try tensor(h + "mlp.c_fc.bias", [4 * C]), to: p.pointer(.fcBias, layer: l))
      copyTransposed(try tensor(h + "mlp.c_proj.weight", [4 * C, C]), rows: 4 * C, columns: C, to: p.pointer(.fcProjectionWeight, layer: l))
      copy(try tensor(h + "mlp.c_proj.bias", [C]), to: p.pointer(.fcProjectionBias, layer: l))
    }
    copy(try tensor("ln_f.weight", [C]), to: p.pointer(.finalNormWeight))
    copy(try tensor("ln_f.bias", [C]), to: p.pointer(.finalNormBias))
    return Imported(model: model, tokenizer: tokenizer)
  }

  /// Writes `model` (and `tokenizer`) as a transformers GPT2LMHeadModel directory.
  public static func save(model: GPT, tokenizer: BPETokenizer?, to directory: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw CheckpointError(path: directory, "cannot create the directory (\(error.localizedDescription))")
    }
    let config = model.config
    let C = config.dModel
    let p = model.parameters
    func values(_ tensor: ParameterTensor, layer: Int? = nil) -> [Float] {
      let count = layer == nil ? model.layout.count(tensor) : model.layout.perLayerCount(tensor)
      let start = layer.map { p.pointer(tensor, layer: $0) } ?? p.pointer(tensor)
      return Array(UnsafeBufferPointer(start: start, count: count))
    }
    func transposed(_ tensor: ParameterTensor, layer: Int, out: Int, in inDim: Int) -> [Float] {
      // ours (out, in) → Conv1D (in, out)
      let source = values(tensor, layer: layer)
      var result = [Float](repeating: 0, count: out * inDim)
      for o in 0..<out { for i in 0..<inDim { result[i * out + o] = source[o * inDim + i] } }
      return result
    }
    var tensors: [String: NamedTensor] = [
      "transformer.wte.weight": NamedTensor(shape: [config.paddedVocabSize, C], values: values(.tokenEmbedding)),
      "transformer.wpe.weight": NamedTensor(shape: [config.contextLength, C], values: values(.positionEmbedding)),
      "transformer.ln_f.weight": NamedTensor(shape: [C], values: values(.finalNormWeight)),
      "transformer.ln_f.bias": NamedTensor(shape: [C], values: values(.finalNormBias)),
    ]
    for l in 0..<config.nLayer {
      let h = "transformer.h.\(l)."
      tensors[h + "ln_1.weight"] = NamedTensor(shape: [C], values: values(.ln1Weight, layer: l))
      tensors[h + "ln_1.bias"] = NamedTensor(shape: [C], values: values(.ln1Bias, layer: l))
      tensors[h + "attn.c_attn.weight"] = NamedTensor(shape: [C, 3 * C], values: transposed(.qkvWeight, layer: l, out: 3 * C, in: C))
      tensors[h + "attn.c_attn.bias"] = NamedTensor(shape: [3 * C], values: values(.qkvBias, layer: l))
      tensors[h + "attn.c_proj.weight"] = NamedTensor(shape: [C, C], values: transposed(.attentionProjectionWeight, layer: l, out: C, in: C))
      tensors[h + "attn.c_proj.bias"] = NamedTensor(shape: [C], values: values(.attentionProjectionBias, layer: l))
      tensors[h + "ln_2.weight"] = NamedTensor(shape: [C], values: values(.ln2Weight, layer: l))
      tensors[h + "ln_2.bias"] = NamedTensor(shape: [C], values: values(.ln2Bias, layer: l))
      tensors[h + "mlp.c_fc.weight"] = NamedTensor(shape: [C, 4 * C], values: transposed(.fcWeight, layer: l, out: 4 * C, in: C))
      tensors[h + "mlp.c_fc.bias"] = NamedTensor(shape: [4 * C], values: values(.fcBias, layer: l))
      tensors[h + "mlp.c_proj.weight"] = NamedTensor(shape: [4 * C, C], values: transposed(.fcProjectionWeight, layer: l, out: C, in: 4 * C))
      tensors[h + "mlp.c_proj.bias"] = NamedTensor(shape: [C], values: values(.fcProjectionBias, layer: l))
    }
    try Safetensors.write(tensors, metadata: ["format": "pt"], to: directory + "/model.safetensors")
    let configJSON: [String: Any] = [
      "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
      "vocab_size": config.paddedVocabSize, "n_positions": config.contextLength, "n_ctx": config.contextLength,
      "n_embd": C, "n_layer": config.nLayer, "n_head": config.nHead, "n_inner": NSNull(),
      "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "initializer_range": Double(config.initStd),
      "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "tie_word_embeddings": true,
      "bos_token_id": tokenizer?.specialTokenID("<|endoftext|>").map(Int.init) ?? 0,
      "eos_token_id": tokenizer?.specialTokenID("<|endoftext|>").map(Int.init) ?? 0,
    ]
    let data = try JSONSerialization.data(withJSONObject: configJSON, options: [.prettyPrinted, .sortedKeys])
    do { try AtomicFile.write(data, to: directory + "/config.json") } catch let error as AtomicFileError {
      throw CheckpointError(path: directory + "/config.json", "cannot write (\(error.reason))")
    }
    try tokenizer?.save(to: directory + "/tokenizer.json")
  }
}
