// Splitting kernel loops across threads (Dispatch's concurrentPerform), with one process-wide
// thread count chosen at start-up.

import Dispatch

/// How many threads our own kernels use. Set it once at start-up, before kernels run
/// (1 when several ranks share the cores); OpenBLAS has its own count in `BLAS.threadCount`.
public enum KernelThreads {
  nonisolated(unsafe) private static var value = 1

  /// The current thread count (≥ 1).
  public static var count: Int {
    get { value }
    set {
      precondition(newValue >= 1, "kernel thread count must be ≥ 1")
      value = newValue
    }
  }

  /// Uses `threads` threads for the kernels, matmuls included: OpenBLAS itself is set to one
  /// thread, since the matmuls split their rows across our threads (OpenBLAS's idle workers
  /// spin for a long while after each call and would compete with ours for the cores).
  public static func setAll(_ threads: Int) {
    count = threads
    BLAS.threadCount = 1
  }
}

/// Parallel loops over index ranges.
public enum Parallel {
  /// Calls `body(range, worker)` on disjoint contiguous chunks covering `0..<count`, using at
  /// most `KernelThreads.count` threads (`worker` is in `0..<workers(count)`). Runs inline
  /// when one thread suffices or the work is below `minimumPerThread` items per thread.
  public static func forChunks(
    _ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>, Int) -> Void
  ) {
    let workers = workerCount(count, minimumPerThread: minimumPerThread)
    if workers <= 1 {
      if count > 0 { body(0..<count, 0) }
      return
    }
    withoutActuallyEscaping(body) { body in
      // The chunks are disjoint by construction; the kernels' pointers are safe to share.
      let shared = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = count * worker / workers
        let end = count * (worker + 1) / workers
        if start < end { shared.value(start..<end, worker) }
      }
    }
  }

  /// `forChunks` for bodies that call BLAS: OpenBLAS runs single-threaded inside, since our
  /// threads already cover the cores (nested pools oversubscribe them).
  public static func forChunksCallingBLAS(
    _ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>, Int) -> Void
  ) {
    if workerCount(count, minimumPerThread: minimumPerThread) <= 1 {
      forChunks(count, minimumPerThread: minimumPerThread, body)
    } else {
      BLAS.singleThreaded { forChunks(count, minimumPerThread: minimumPerThread, body) }
    }
  }

  /// The number of chunks `forChunks` will use for `count` items.
  public static func workerCount(_ count: Int, minimumPerThread: Int = 1) -> Int {
    max(1, min(KernelThreads.count, count / max(1, minimumPerThread)))
  }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees data-race freedom.
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
