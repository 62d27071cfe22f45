// A seeded split of records into training and validation sets.

import Randomness

/// Splits `records` by a seeded shuffle: the first `validationCount` shuffled records become the
/// validation set, the rest the training set (each keeps the original order).
public func splitTrainValidation<T>(_ records: [T], validationCount: Int, seed: UInt64) -> (
  train: [T], validation: [T]
) {
  precondition(validationCount >= 0 && validationCount <= records.count, "bad validation count")
  let order = ShardedSampler.permutation(count: records.count, seed: seed, epoch: 0)
  let validationIndices = Set(order.prefix(validationCount))
  var train: [T] = []
  var validation: [T] = []
  for (index, record) in records.enumerated() {
    if validationIndices.contains(index) { validation.append(record) } else { train.append(record) }
  }
  return (train, validation)
}
