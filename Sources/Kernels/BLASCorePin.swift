// Which OpenBLAS kernel set a run uses, chosen by us rather than by OpenBLAS's CPU table.
//
// OpenBLAS (DYNAMIC_ARCH builds, as Debian ships) picks its kernels from the CPU model number
// at library load. A model newer than its table gets the oldest x86-64 set: on an Emerald
// Rapids VM, OpenBLAS 0.3.21 picks Prescott (SSE3) and the teacher stage runs 2.6× slower than
// with SkylakeX. Different kernels also sum in a different order, so the same run gives other
// bits on another machine. The pin makes the choice explicit: by default every CPU with
// AVX2+FMA runs the Haswell kernels (same bits everywhere, and never the SSE3 fallback).
// OpenBLAS reads OPENBLAS_CORETYPE only while it loads, before `main`; the pin therefore sets
// it and re-executes the program once, before MPI starts.

import CKernels

#if canImport(Glibc)
  import Glibc
#endif

/// The CPU features that decide which OpenBLAS kernel sets can run here.
public struct CPUFeatures: Equatable, Sendable {
  public var avx2FMA: Bool
  public var avx512: Bool
  public var avx512BF16: Bool

  public init(avx2FMA: Bool, avx512: Bool, avx512BF16: Bool) {
    self.avx2FMA = avx2FMA
    self.avx512 = avx512
    self.avx512BF16 = avx512BF16
  }

  /// This machine's features (CPUID).
  public static var current: CPUFeatures {
    CPUFeatures(
      avx2FMA: ck_has_avx2() != 0, avx512: ck_has_avx512_skylakex() != 0,
      avx512BF16: ck_has_avx512_bf16() != 0)
  }
}

/// Chooses OpenBLAS's kernel set from `MINILLM_BLAS_CORE` and re-executes the program so that
/// OpenBLAS loads with it.
///
/// `MINILLM_BLAS_CORE`:
/// - unset or `reproducible`: Haswell on every CPU with AVX2+FMA (OpenBLAS's own choice on older
///   CPUs), so a run gives the same bits on every AVX2 machine;
/// - `native`: whatever OpenBLAS picks (on CPUs it knows, the fastest set);
/// - a kernel set by name (`Haswell`, `SkylakeX`, `Cooperlake`, …), refused when this CPU lacks
///   the instructions it needs.
/// An `OPENBLAS_CORETYPE` already in the environment is the user's choice and is left alone.
public enum BLASCorePin {
  /// The environment variable that selects the kernel set.
  public static let settingName = "MINILLM_BLAS_CORE"

  /// What to do at start-up.
  public enum Decision: Equatable {
    /// Keep the kernel set OpenBLAS loaded with.
    case keep
    /// Load OpenBLAS again with `OPENBLAS_CORETYPE` set to this name.
    case pin(String)
    /// The setting cannot be honoured: one line for the user.
    case refuse(String)
  }

  /// The kernel sets a user may name, each with the CPU feature it needs (immutable; key paths
  /// are not Sendable).
  nonisolated(unsafe) static let knownCores: [(name: String, needs: KeyPath<CPUFeatures, Bool>?)] = [
    ("Prescott", nil), ("Haswell", \.avx2FMA), ("Zen", \.avx2FMA), ("SkylakeX", \.avx512),
    ("Cooperlake", \.avx512BF16),
  ]

  /// The kernel set the default (`reproducible`) setting wants on a CPU with these features;
  /// nil where OpenBLAS's own choice stands (no AVX2+FMA).
  public static func reproducibleCore(for cpu: CPUFeatures) -> String? {
    cpu.avx2FMA ? "Haswell" : nil
  }

  /// The decision for a `setting` (nil: unset), an `OPENBLAS_CORETYPE` already set by the user
  /// (nil: unset), the kernel set OpenBLAS loaded with, and the CPU's features. Pure.
  public static func decide(
    setting: String?, userCoreType: String?, loadedCore: String, cpu: CPUFeatures
  ) -> Decision {
    if let userCoreType, !userCoreType.isEmpty { return .keep }
    let wanted: String
    switch setting?.lowercased() {
    case nil, "", "reproducible":
      guard let core = reproducibleCore(for: cpu) else { return .keep }
      wanted = core
    case "native":
      return .keep
    case let name?:
      guard let known = knownCores.first(where: { $0.name.lowercased() == name }) else {
        let names = (["reproducible", "native"] + knownCores.map(\.name)).joined(separator: ", ")
        return .refuse("\(settingName)=\(setting!): unknown OpenBLAS kernel set (use one of \(names))")
      }
      guard known.needs.map({ cpu[keyPath: $0] }) ?? true else {
        return .refuse("\(settingName)=\(setting!): this CPU lacks the instructions the \(known.name) kernels need")
      }
      wanted = known.name
    }
    return wanted.lowercased() == loadedCore.lowercased() ? .keep : .pin(wanted)
  }

  /// Applies the setting: returns when OpenBLAS already runs the wanted kernels (or the
  /// re-execution failed, after a one-line warning); prints one line and exits 1 when the setting
  /// is refused; otherwise replaces this process with itself under `OPENBLAS_CORETYPE`. Call it
  /// first in `main`, before MPI is initialized and before any thread starts.
  public static func apply() {
    let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) } }
    let decision = decide(
      setting: environment(settingName), userCoreType: environment("OPENBLAS_CORETYPE"),
      loadedCore: BLAS.coreName, cpu: .current)
    switch decision {
    case .keep:
      let rank = environment("OMPI_COMM_WORLD_RANK") ?? environment("PMI_RANK") ?? "0"
      if rank == "0", let warning = mismatchWarning { printToStandardError("minillm-dist: warning: \(warning)") }
    case .refuse(let message):
      printToStandardError("minillm-dist: error: \(message)")
      exit(1)
    case .pin(let core):
      #if os(Linux)
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        unsetenv("OPENBLAS_CORETYPE")
        printToStandardError("minillm-dist: warning: could not restart with OpenBLAS's \(core) kernels (\(reason)); running with \(BLAS.coreName)")
      #endif
    }
  }

  private static func printToStandardError(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
  }

  /// One line for logs when the loaded kernels are not the ones asked for: `OPENBLAS_CORETYPE`
  /// was set but OpenBLAS did not honour it (a build without that kernel set). nil otherwise.
  public static var mismatchWarning: String? {
    guard let asked = getenv("OPENBLAS_CORETYPE").map({ String(cString: $0) }), !asked.isEmpty,
      asked.lowercased() != BLAS.coreName.lowercased()
    else { return nil }
    return "OPENBLAS_CORETYPE=\(asked) but OpenBLAS loaded its \(BLAS.coreName) kernels"
  }
}
