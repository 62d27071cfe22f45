// A teacher split across the ranks of a group (tensor parallelism, forward only): attention
// heads and MLP hidden units split column-parallel then row-parallel, embedding and LM head
// split over the vocabulary. Softmax statistics over the split vocabulary use collectives.

import Collectives
import Kernels

/// One rank's shard of a GPT, for inference inside a teacher group of S ranks.
///
/// Shard s holds heads [s·NH/S, (s+1)·NH/S) of every attention layer (their rows of `qkv_w`,
/// their columns of `attn_proj_w`), MLP hidden units [s·4C/S, (s+1)·4C/S) (rows of `fc_w`,
/// columns of `fc_proj_w`) and vocabulary rows [s·Vp/S, (s+1)·Vp/S) of `wte` (embedding and tied
/// head). LayerNorms, biases of the row-parallel projections and `wpe` are replicated. Every rank
/// of the group must call the same methods with the same batch shapes: the projections end in
/// an all-reduce.
public final class ShardedGPT {
  public let config: GPTConfig
  public let group: any Collective
  public let shards: Int
  public let shard: Int
  let localHeads: Int
  let localWidth: Int  // C / S
  let localHidden: Int  // 4C / S
  /// Vocabulary rows held here: [vocabularyStart, vocabularyStart + vocabularyRows).
  public let vocabularyStart: Int
  public let vocabularyRows: Int
  /// The attention config of this shard's heads (for its KV cache).
  let localAttention: GPTConfig

  var wte: [Float]  // (Vp/S, C)
  var wpe: [Float]  // (T, C)
  var ln1w: [[Float]], ln1b: [[Float]], ln2w: [[Float]], ln2b: [[Float]]  // L × (C)
  var qkvw: [[Float]], qkvb: [[Float]]  // L × (3C/S, C), (3C/S)
  var projw: [[Float]], projb: [[Float]]  // L × (C, C/S), (C)
  var fcw: [[Float]], fcb: [[Float]]  // L × (4C/S, C), (4C/S)
  var fcprojw: [[Float]], fcprojb: [[Float]]  // L × (C, 4C/S), (C)
  var lnfw: [Float], lnfb: [Float]
  /// Activations of the forward pass, kept between calls (a decode step reuses them).
  let workspace = ShardedForwardWorkspace()

  /// Takes this rank's shard of `full` (every rank of `group` passes the same model).
  /// - Throws: `CollectiveError` when heads, hidden units or padded vocabulary do not divide by the group size.
  public init(full: GPT, group: any Collective) throws {
    let config = full.config
    let S = group.size
    let C = config.dModel
    func require(_ ok: Bool, _ message: String) throws {
      if !ok { throw CollectiveError(operation: "ShardedGPT", message: message) }
    }
    try require(config.nHead % S == 0, "n_head \(config.nHead) is not divisible by the \(S) teacher shards")
    try require(config.paddedVocabSize % S == 0, "padded_vocab_size \(config.paddedVocabSize) is not divisible by the \(S) teacher shards (pad the vocabulary to a multiple of \(S))")
    self.config = config
    self.group = group
    shards = S
    shard = group.rank
    localHeads = config.nHead / S
    localWidth = C / S
    localHidden = 4 * C / S
    vocabularyRows = config.paddedVocabSize / S
    vocabularyStart = shard * vocabularyRows
    localAttention = GPTConfig(
      vocabSize: 2, contextLength: config.contextLength, dModel: localWidth, nLayer: config.nLayer,
      nHead: localHeads)

    let p = full.parameters
    func array(_ pointer: UnsafePointer<Float>, _ count: Int) -> [Float] {
      Array(UnsafeBufferPointer(start: pointer, count: count))
    }
    func rows(_ pointer: UnsafePointer<Float>, from: Int, count: Int, width: Int) -> [Float] {
      array(pointer + from * width, count * width)
    }
    func columns(_ pointer: UnsafePointer<Float>, rows: Int, width: Int, from: Int, count: Int) -> [Float] {
      var out: [Float] = []
      out.reserveCapacity(rows * count)
      for r in 0..<rows { out += UnsafeBufferPointer(start: pointer + r * width + from, count: count) }
      return out
    }
    let vocabularyRowsHere = config.paddedVocabSize / S
    wte = rows(p.pointer(.tokenEmbedding), from: group.rank * vocabularyRowsHere, count: vocabularyRowsHere, width: C)
    wpe = array(p.pointer(.positionEmbedding), config.contextLength * C)
    let L = config.nLayer
    let lw = C / S
    let lh = 4 * C / S
    let headStart = group.rank * lw
    let hiddenStart = group.rank * lh
    ln1w = (0..<L).map { array(p.pointer(.ln1Weight, layer: $0), C) }
    ln1b = (0..<L).map { array(p.pointer(.ln1Bias, layer: $0), C) }
    ln2w = (0..<L).map { array(p.pointer(.ln2Weight, layer: $0), C) }
    ln2b = (0..<L).map { array(p.pointer(.ln2Bias, layer: $0), C) }
    // q, k and v rows of this shard's heads, stacked [q; k; v].
    qkvw = (0..<L).map { l in
      (0..<3).flatMap { part in rows(p.pointer(.qkvWeight, layer: l), from: part * C + headStart, count: lw, width: C) }
    }
    qkvb = (0..<L).map { l in
      (0..<3).flatMap { part in array(p.pointer(.qkvBias, layer: l) + part * C + headStart, lw) }
    }
    projw = (0..<L).map { columns(p.pointer(.attentionProjectionWeight, layer: $0), rows: C, width: C, from: headStart, count: lw) }
    projb = (0..<L).map { array(p.pointer(.attentionProjectionBias, layer: $0), C) }
    fcw = (0..<L).map { rows(p.pointer(.fcWeight, layer: $0), from: hiddenStart, count: lh, width: C) }
    fcb = (0..<L).map { array(p.pointer(.fcBias, layer: $0) + hiddenStart, lh) }
    fcprojw = (0..<L).map { columns(p.pointer(.fcProjectionWeight, layer: $0), rows: C, width: 4 * C, from: hiddenStart, count: lh) }
    fcprojb = (0..<L).map { array(p.pointer(.fcProjectionBias, layer: $0), C) }
    lnfw = array(p.pointer(.finalNormWeight), C)
    lnfb = array(p.pointer(.finalNormBias), C)
  }

  /// A KV cache for this shard's heads, for `B` sequences.
  public func makeCache(B: Int, capacity: Int) -> KVCache {
    KVCache(config: localAttention, B: B, capacity: capacity)
  }

  /// The forward pass over `tokens` (B, T) after `cache.length` cached positions (or from
  /// scratch without a cache). Returns this shard's logits, (B, T, Vp/S): columns
  /// [vocabularyStart, vocabularyStart + vocabularyRows) of the full logits.
  public func forward(tokens: [Int32], B: Int, T: Int, keyStart: [Int32], cache: KVCache?) throws -> [Float] {
    let C = config.dModel
    let N = B * T
    let past = cache?.length ?? 0
    precondition(past + T <= config.contextLength, "sequence exceeds the context length")
    let keys = past + T
    let w = workspace
    w.reserve(rows: N, C: C, localWidth: localWidth, localHidden: localHidden, attention: B * localHeads * T * keys)
    // Embedding: each shard adds the rows it holds; the sum over shards is wte[token].
    w.x.withUnsafeMutableBufferPointer { x in
      wte.withUnsafeBufferPointer { table in
        let x = x.baseAddress!
        x.update(repeating: 0, count: N * C)
        for n in 0..<N {
          let local = Int(tokens[n]) - vocabularyStart
          if local >= 0 && local < vocabularyRows { (x + n * C).update(from: table.baseAddress! + local * C, count: C) }
        }
      }
    }
    try w.x.withUnsafeMutableBufferPointer { try group.allReduce(UnsafeMutableBufferPointer(rebasing: $0[0..<(N * C)]), op: .sum) }
    w.x.withUnsafeMutableBufferPointer { x in
      wpe.withUnsafeBufferPointer { positions in
        for b in 0..<B {
          for t in 0..<T {
            let position = max(0, past + t - Int(keyStart[b]))
            addRow(x.baseAddress! + (b * T + t) * C, positions.baseAddress! + position * C, C)
          }
        }
      }
    }
    /// Sums the first N·C entries of `partial` over the group.
    func reducePartial() throws {
      try w.partial.withUnsafeMutableBufferPointer {
        try group.allReduce(UnsafeMutableBufferPointer(rebasing: $0[0..<(N * C)]), op: .sum)
      }
    }
    /// x += partial + bias, row by row (the row-parallel projections' output and bias).
    func addProjection(bias: [Float]) {
      w.x.withUnsafeMutableBufferPointer { x in
        w.partial.withUnsafeBufferPointer { partial in
          bias.withUnsafeBufferPointer { bias in
            for n in 0..<N {
              addRow(x.baseAddress! + n * C, partial.baseAddress! + n * C, C, plus: bias.baseAddress!)
            }
          }
        }
      }
    }
    for l in 0..<config.nLayer {
      layerNormForward(out: &w.normed, mean: &w.mean, rstd: &w.rstd, inp: w.x, weight: ln1w[l], bias: ln1b[l], N: N, C: C)
      matmulForward(out: &w.qkv, inp: w.normed, weight: qkvw[l], bias: qkvb[l], N: N, C: C, OC: 3 * localWidth)
      if let cache {
        w.qkv.withUnsafeBufferPointer { q in
          cache.append(layer: l, qkv: q.baseAddress!, T: T)
          attentionForward(
            out: &w.attended, att: &w.att, q: q.baseAddress!, k: cache.keys(layer: l), v: cache.values(layer: l),
            keyStart: keyStart, layout: cache.attentionLayout(T: T))
        }
      } else {
        w.qkv.withUnsafeBufferPointer { q in
          attentionForward(
            out: &w.attended, att: &w.att, q: q.baseAddress!, k: q.baseAddress! + localWidth, v: q.baseAddress! + 2 * localWidth,
            keyStart: keyStart, layout: .packed(B: B, T: T, C: localWidth, NH: localHeads))
        }
      }
      // Row-parallel projection: partial sums over this shard's heads, then summed across shards.
      matmulForward(out: &w.partial, inp: w.attended, weight: projw[l], bias: nil, N: N, C: localWidth, OC: C)
      try reducePartial()
      addProjection(bias: projb[l])
      layerNormForward(out: &w.normed, mean: &w.mean, rstd: &w.rstd, inp: w.x, weight: ln2w[l], bias: ln2b[l], N: N, C: C)
      matmulForward(out: &w.hidden, inp: w.normed, weight: fcw[l], bias: fcb[l], N: N, C: C, OC: localHidden)
      geluForward(out: &w.activated, inp: w.hidden, count: N * localHidden)
      matmulForward(out: &w.partial, inp: w.activated, weight: fcprojw[l], bias: nil, N: N, C: localHidden, OC: C)
      try reducePartial()
      addProjection(bias: fcprojb[l])
    }
    if let cache { cache.length += T }
    layerNormForward(out: &w.normed, mean: &w.mean, rstd: &w.rstd, inp: w.x, weight: lnfw, bias: lnfb, N: N, C: C)
    var logits = [Float](repeating: 0, count: N * vocabularyRows)
    matmulForward(out: &logits, inp: w.normed, weight: wte, bias: nil, N: N, C: C, OC: vocabularyRows)
    return logits
  }

  /// log Σ exp over the real vocabulary (columns < V) of each row, from this shard's logits
  /// (N, Vp/S): a max and a sum of exponentials reduced across the group.
  public func logSumExp(localLogits: [Float], rows N: Int) throws -> [Float] {
    let realColumns = max(0, min(vocabularyRows, config.vocabSize - vocabularyStart))
    let stride = vocabularyRows
    var maxima = [Float](repeating: -Float.infinity, count: N)
    localLogits.withUnsafeBufferPointer { logits in
      for n in 0..<N where realColumns > 0 {
        let row = logits.baseAddress! + n * stride
        var largest = row[0]
        for i in 1..<realColumns where row[i] > largest { largest = row[i] }
        maxima[n] = largest
      }
    }
    try group.allReduce(&maxima, op: .max)
    var sums = [Float](repeating: 0, count: N)
    localLogits.withUnsafeBufferPointer { logits in
      sumsOfShiftedExponentials(
        logits.baseAddress!, stride: stride, columns: realColumns, rows: N, shifts: maxima, into: &sums)
    }
    try group.allReduce(&sums, op: .sum)
    return (0..<N).map { maxima[$0] + logf(sums[$0]) }
  }

  /// Full log-probabilities (N, V) from every shard's logits: the shards are gathered, so use
  /// it only where a rank truly needs the whole distribution.
  public func fullLogProbabilities(localLogits: [Float], rows N: Int) throws -> [Float] {
    let lse = try logSumExp(localLogits: localLogits, rows: N)
    let gathered = try group.allGather(localLogits)  // shard-major: (S, N, Vp/S)
    let V = config.vocabSize
    var out = [Float](repeating: 0, count: N * V)
    for s in 0..<shards {
      for n in 0..<N {
        for i in 0..<vocabularyRows {
          let column = s * vocabularyRows + i
          if column < V { out[n * V + column] = gathered[(s * N + n) * vocabularyRows + i] - lse[n] }
        }
      }
    }
    return out
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// row[i] += add[i] (+ plus[i] first, when given: row[i] += (add[i] + plus[i])), i < count.
@inline(__always)
private func addRow(_ row: UnsafeMutablePointer<Float>, _ add: UnsafePointer<Float>, _ count: Int, plus: UnsafePointer<Float>? = nil) {
  if let plus {
    for i in 0..<count { row[i] += add[i] + plus[i] }
  } else {
    for i in 0..<count { row[i] += add[i] }
  }
}

/// sums[n] = Σ_i fastExp(logits[n·stride + i] − shifts[n]) over i < columns, each sum taken in
/// column order one addition at a time (the exponentials of a row are computed first, in a
/// loop the compiler vectorizes; the sums of eight rows run side by side in SIMD lanes).
private func sumsOfShiftedExponentials(
  _ logits: UnsafePointer<Float>, stride: Int, columns: Int, rows N: Int, shifts: [Float], into sums: inout [Float]
) {
  guard columns > 0 else { return }
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * columns)
  defer { scratch.deallocate() }
  var n = 0
  while n < N {
    let block = min(8, N - n)
    for r in 0..<block {
      let row = logits + (n + r) * stride
      let out = scratch + r * columns
      fastExpShifted(out: out, inp: row, count: columns, shift: shifts[n + r])
    }
    if block == 8 {
      var lanes = SIMD8<Float>(repeating: 0)
      for i in 0..<columns {
        lanes += SIMD8(
          scratch[i], scratch[columns + i], scratch[2 * columns + i], scratch[3 * columns + i],
          scratch[4 * columns + i], scratch[5 * columns + i], scratch[6 * columns + i], scratch[7 * columns + i])
      }
      for r in 0..<8 { sums[n + r] = lanes[r] }
    } else {
      for r in 0..<block {
        var sum: Float = 0
        for i in 0..<columns { sum += scratch[r * columns + i] }
        sums[n + r] = sum
      }
    }
    n += block
  }
}

/// The forward pass's activation arrays, grown on demand and reused: a teacher decode step
/// allocates nothing but its returned logits. Only the first N rows of each are meaningful.
final class ShardedForwardWorkspace {
  var x: [Float] = [], normed: [Float] = [], mean: [Float] = [], rstd: [Float] = []
  var qkv: [Float] = [], attended: [Float] = [], partial: [Float] = []
  var hidden: [Float] = [], activated: [Float] = [], att: [Float] = []

  /// Makes every array large enough for `rows` positions and `attention` scores.
  func reserve(rows N: Int, C: Int, localWidth: Int, localHidden: Int, attention: Int) {
    func grow(_ array: inout [Float], _ count: Int) {
      if array.count < count { array = [Float](repeating: 0, count: count) }
    }
    grow(&x, N * C)
    grow(&normed, N * C)
    grow(&mean, N)
    grow(&rstd, N)
    grow(&qkv, N * 3 * localWidth)
    grow(&attended, N * localWidth)
    grow(&partial, N * C)
    grow(&hidden, N * localHidden)
    grow(&activated, N * localHidden)
    grow(&att, attention)
  }
}
