// Data-parallel rules written once: gradients summed across ranks in place, in buckets.

import Collectives
import Model

/// Floats per all-reduce call: a few MB, where in-place all-reduce is fastest here
/// (docs/benchmarks.md).
let gradientBucketFloats = 1 << 20

/// Sums the gradient arena across ranks, in place, bucket by bucket.
func allReduceGradients(_ gradients: ParameterArena, over group: any Collective) throws {
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
