// A model's weight matrices repacked for decode steps (see `packDecodePanels`).

import Kernels

/// Copies of a model's weight matrices in the panel layout that decode-step matmuls stream
/// sequentially, at the same offsets as in the parameter arena. Costs as much memory as the
/// parameters; `pack(from:)` must run again whenever the weights change.
final class DecodePanels {
  private let storage: FloatStorage
  private let config: GPTConfig

  init(config: GPTConfig, layout: ParameterLayout) {
    self.config = config
    storage = FloatStorage(layout.totalCount, zero: 0)
  }

  /// Repacks every weight matrix of `parameters` (one pass over the weights).
  func pack(from parameters: ParameterArena) {
    let C = config.dModel
    func packOne(_ tensor: ParameterTensor, layer: Int?, OC: Int, inputs: Int) {
      let weight = layer.map { parameters.pointer(tensor, layer: $0) } ?? parameters.pointer(tensor)
      packDecodePanels(panels: storage.pointer + (weight - parameters.storage.baseAddress!), weight: weight, C: inputs, OC: OC)
    }
    packOne(.tokenEmbedding, layer: nil, OC: config.paddedVocabSize, inputs: C)
    for l in 0..<config.nLayer {
      packOne(.qkvWeight, layer: l, OC: 3 * C, inputs: C)
      packOne(.attentionProjectionWeight, layer: l, OC: C, inputs: C)
      packOne(.fcWeight, layer: l, OC: 4 * C, inputs: C)
      packOne(.fcProjectionWeight, layer: l, OC: C, inputs: 4 * C)
    }
  }

  /// The packed copy of `weight` (a pointer into `parameters`).
  func panels(of weight: UnsafePointer<Float>, in parameters: ParameterArena) -> UnsafePointer<Float> {
    UnsafePointer(storage.pointer + (weight - UnsafePointer(parameters.storage.baseAddress!)))
  }
}
