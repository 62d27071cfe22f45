// The machine's physical memory, for checks made before large allocations.

#if canImport(Glibc)
  import Glibc
#endif

/// Physical memory of this machine.
public enum MachineMemory {
  /// Total physical memory in bytes (pages × page size); Int.max when the OS does not say.
  public static var physicalBytes: Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return Int.max }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
    return overflow ? Int.max : bytes
  }
}
