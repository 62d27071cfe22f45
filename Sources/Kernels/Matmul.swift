// Linear layers through cblas_sgemm over all rows: out = inp · Wᵀ + bias. With several kernel
// threads each takes a contiguous slice of the output and runs single-threaded sgemm on it:
// OpenBLAS's own worker threads spin (sched_yield) for a long while after every call and
// competed with our threads for the cores in between (about 15% of a 2-thread step).

import CKernels

/// Rows per thread below which a matmul runs on one thread.
private let rowsPerThread = 64

/// out = inp · weightᵀ + bias.
/// - out: (N, OC); inp: (N, C); weight: (OC, C); bias: (OC) or nil
public func matmulForward(
  out: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  N: Int, C: Int, OC: Int
) {
  if N <= fewRowsLimit {
    matmulForwardFewRows(out: out, inp: inp, weight: weight, bias: bias, N: N, C: C, OC: OC)
    return
  }
  Parallel.forChunksCallingBLAS(N, minimumPerThread: rowsPerThread) { rows, _ in
    let slice = out + rows.lowerBound * OC
    if let bias {
      for n in 0..<rows.count { (slice + n * OC).update(from: bias, count: OC) }
    }
    // out[rows] (n, OC) = inp[rows] (n, C) · weightᵀ (C, OC) (+ bias)
    BLAS.sgemm(
      transposeA: false, transposeB: true, m: rows.count, n: OC, k: C, alpha: 1,
      a: inp + rows.lowerBound * C, lda: C, b: weight, ldb: C, beta: bias == nil ? 0 : 1,
      c: slice, ldc: OC)
  }
}

/// Backward of `matmulForward`: accumulates into dinp, dweight and dbias.
/// - dinp: (N, C) or nil to skip; dweight: (OC, C); dbias: (OC) or nil; dout: (N, OC)
public func matmulBackward(
  dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>?,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  N: Int, C: Int, OC: Int
) {
  // in the forward pass this was: out = inp · weightᵀ + bias
  if let dinp {
    Parallel.forChunksCallingBLAS(N, minimumPerThread: rowsPerThread) { rows, _ in
      // dinp[rows] (n, C) += dout[rows] (n, OC) · weight (OC, C)
      BLAS.sgemm(
        transposeA: false, transposeB: false, m: rows.count, n: C, k: OC, alpha: 1,
        a: dout + rows.lowerBound * OC, lda: OC, b: weight, ldb: C, beta: 1,
        c: dinp + rows.lowerBound * C, ldc: C)
    }
  }
  Parallel.forChunksCallingBLAS(OC, minimumPerThread: rowsPerThread) { outputs, _ in
    // dweight[outputs] (o, C) += dout[:, outputs]ᵀ (o, N) · inp (N, C)
    BLAS.sgemm(
      transposeA: true, transposeB: false, m: outputs.count, n: C, k: N, alpha: 1,
      a: dout + outputs.lowerBound, lda: OC, b: inp, ldb: C, beta: 1,
      c: dweight + outputs.lowerBound * C, ldc: C)
    if let dbias {
      for n in 0..<N {
        let row = dout + n * OC
        for o in outputs { dbias[o] += row[o] }
      }
    }
  }
}

/// `matmulForward` for few rows N (decode steps): streams each weight row once instead of
/// letting sgemm pack the whole weight on every call.
/// - out: (N, OC); inp: (N, C); weight: (OC, C); bias: (OC) or nil
public func matmulForwardFewRows(
  out: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  N: Int, C: Int, OC: Int
) {
  forOutputBlocks(OC, width: 4, minimumBlocksPerThread: 64) { first, last in
    ck_matmul_columns(out, inp, weight, bias, Int32(N), Int32(C), Int32(OC), Int32(first), Int32(last))
  }
}

/// Repacks weight (OC, C) into the panel layout `matmulForwardPanels` streams (OC·C floats).
/// - panels: (OC, C) floats; weight: (OC, C)
public func packDecodePanels(panels: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, C: Int, OC: Int) {
  ck_pack_panels(panels, weight, Int32(C), Int32(OC))
}

/// `matmulForward` for few rows N (decode steps) from weights repacked by `packDecodePanels`:
/// the packed weight is read as one sequential stream, 8 output columns at a time.
/// - out: (N, OC); inp: (N, C); panels: `packDecodePanels` of weight (OC, C); bias: (OC) or nil
public func matmulForwardPanels(
  out: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, panels: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
  N: Int, C: Int, OC: Int
) {
  forOutputBlocks(OC, width: 8, minimumBlocksPerThread: 32) { first, last in
    ck_matmul_panels(out, inp, panels, bias, Int32(N), Int32(C), Int32(OC), Int32(first), Int32(last))
  }
}

/// Splits output columns 0..<OC across threads in whole blocks of `width` (the last thread also
/// takes the OC mod width leftovers): `body(first, last)` covers columns first..<last.
private func forOutputBlocks(
  _ OC: Int, width: Int, minimumBlocksPerThread: Int, _ body: (Int, Int) -> Void
) {
  let blockCount = max(1, OC / width)
  Parallel.forChunks(blockCount, minimumPerThread: minimumBlocksPerThread) { blocks, _ in
    let last = blocks.upperBound == blockCount ? OC : blocks.upperBound * width
    body(blocks.lowerBound * width, last)
  }
}

/// Rows up to which `matmulForward` uses `matmulForwardFewRows`.
public let fewRowsLimit = 16

/// Whether the AVX2/FMA kernels are in use on this CPU.
public var hasAVX2Kernels: Bool { ck_has_avx2() != 0 }
