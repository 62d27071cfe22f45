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
