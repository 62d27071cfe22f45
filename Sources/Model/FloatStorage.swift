// Owned, zero-initialized scratch allocations for activations and caches.

/// A heap buffer of `count` elements, zero-initialized, freed with its owner.
final class Storage<Element: BitwiseCopyable> {
  let pointer: UnsafeMutablePointer<Element>
  let count: Int

  init(_ count: Int, zero: Element) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
    pointer.initialize(repeating: zero, count: max(count, 1))
  }

  deinit { pointer.deallocate() }
}

typealias FloatStorage = Storage<Float>
typealias Int32Storage = Storage<Int32>
