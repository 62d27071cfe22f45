// Data-parallel rules written once: gradients summed across ranks in place, in buckets.

import Collectives
import Model

/// Floats per all-reduce call: a few MB, where in-place all-reduce is fastest here
/// (docs/benchmarks.md).
let gradientBucketFloats = 1 << 20

/// Sums the gradient arena across ranks, in place, bucket by bucket.
public func allReduceGradients(_ gradients: ParameterArena, over group: any Collective) throws {
  guard group.size > 1 else { return }
  let storage = gradients.storage
  var start = 0
  while start < storage.count {
    let end = min(storage.count, start + gradientBucketFloats)
    try group.allReduce(UnsafeMutableBufferPointer(rebasing: storage[start..<end]), op: .sum)
    start = end
  }
}

/// Copies rank 0's parameters to every rank (replicas start identical whatever each rank
/// initialized).
func broadcastParameters(_ parameters: ParameterArena, over group: any Collective) throws {
  guard group.size > 1 else { return }
  let storage = parameters.storage
  var start = 0
  while start < storage.count {
    let end = min(storage.count, start + gradientBucketFloats)
    try group.broadcast(UnsafeMutableBufferPointer(rebasing: storage[start..<end]), root: 0)
    start = end
  }
}

/// Checks that every rank holds the same parameters: a checksum (Σ p and Σ i·p in Double) is
/// compared through max/min all-reduces. Throws, naming the step and the spread, when not.
func requireIdenticalReplicas(_ parameters: ParameterArena, over group: any Collective, step: Int) throws {
  guard group.size > 1 else { return }
  var sum = 0.0
  var weighted = 0.0
  for (i, value) in parameters.storage.enumerated() {
    sum += Double(value)
    weighted += Double(value) * Double(i % 9973 + 1)
  }
  let local = [sum, weighted]
  var highest = local
  var lowest = local
  try group.allReduce(&highest, op: .max)
  try group.allReduce(&lowest, op: .min)
  if highest != lowest {
    throw TrainingError(
      "replica divergence at step \(step): parameter checksums differ across ranks (this rank \(local[0]), min \(lowest[0]), max \(highest[0])); gradients or updates were not applied identically")
  }
}

/// Sums gradients across ranks while the backward runs: each layer's gradient slices start a
/// non-blocking in-place all-reduce as soon as the layer is done (outstanding ones are polled
/// then, since Open MPI progresses them only inside MPI calls); `finish()` adds the embeddings
/// and final norm and waits for everything.
public final class OverlappedGradientReduction {
  let gradients: ParameterArena
  let group: any Collective
  private var requests: [any CollectiveRequest] = []

  public init(gradients: ParameterArena, group: any Collective) {
    self.gradients = gradients
    self.group = group
  }

  static let layerTensors = ParameterTensor.allCases.filter(\.isPerLayer)
  static let globalTensors = ParameterTensor.allCases.filter { !$0.isPerLayer }

  /// Called by the backward with a finished layer (or nil for the rest).
  public func ready(_ layer: Int?) throws {
    for index in requests.indices.reversed() where try requests[index].test() { requests.remove(at: index) }
    let layout = gradients.layout
    if let layer {
      for tensor in Self.layerTensors {
        let slice = UnsafeMutableBufferPointer(start: gradients.pointer(tensor, layer: layer), count: layout.perLayerCount(tensor))
        requests.append(try group.startAllReduce(slice, op: .sum))
      }
    } else {
      for tensor in Self.globalTensors {
        requests.append(try group.startAllReduce(gradients.buffer(tensor), op: .sum))
      }
    }
  }

  /// Waits until every started all-reduce has completed.
  public func finish() throws {
    for request in requests { try request.wait() }
    requests.removeAll()
  }
}
